//! `tenantsim schema`: prints the JSON Schema of scenario files, derived from the scenario
//! types of this binary (see `models::scenario::json_schema`). The shipped copy,
//! `scenarios/tenantsim.schema.json`, is this command's output; `tests/json_schema.rs` fails
//! when the two differ.

use crate::cli::SchemaArgs;
use crate::exit;
use models::scenario::json_schema::scenario_schema_text;

/// Prints the schema, or writes it to `--out`.
pub fn schema(a: SchemaArgs) -> i32 {
    let text = match scenario_schema_text() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tenantsim: internal error: cannot derive the scenario schema: {e}");
            return exit::INTERNAL;
        }
    };
    match a.out {
        None => {
            print!("{text}");
            exit::OK
        }
        Some(path) => match std::fs::write(&path, text) {
            Ok(()) => {
                eprintln!("wrote {}", path.display());
                exit::OK
            }
            Err(e) => {
                eprintln!("tenantsim: error: cannot write {}: {e}", path.display());
                exit::INVALID_INPUT
            }
        },
    }
}
