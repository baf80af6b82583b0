//! `[classes.NAME]`: request classes (their work, retries, calls and jobs).

use super::super::schema::ClassConfig;
use super::super::{class_from, isolation, retry_from, schema, Checker, Class, JobClass};
use sim::SimDuration;
use std::collections::BTreeMap;

/// Checks `[classes]`; returns the classes in name order (one `default` class when the file
/// declares none). `dependencies` and `job_classes` are the sections the classes refer to.
pub(in crate::scenario) fn classes(
    c: &mut Checker,
    raw_classes: &BTreeMap<String, ClassConfig>,
    dependencies: &[isolation::Dependency],
    job_classes: &[JobClass],
) -> Vec<Class> {
    let mut classes = Vec::new();
    if raw_classes.is_empty() {
        classes.push(class_from("default", &schema::ClassConfig::default()));
    }
    for (name, cc) in raw_classes {
        let mut cl = class_from(name, cc);
        cl.calls = isolation::class_calls(c, name, &cc.calls, dependencies);
        if let Some(r) = &cc.retry {
            cl.retry = retry_from(c, name, r);
        }
        if let Some(j) = &cc.submits_job {
            match job_classes.iter().position(|k| k.name == *j.get_ref()) {
                Some(i) => cl.submits_job = Some(i),
                None => c.err(
                    j.span(),
                    format!(
                        "job class `{}` is not declared; add [jobs.{}]",
                        j.get_ref(),
                        j.get_ref()
                    ),
                ),
            }
        }
        if !(cl.share >= 0.0 && cl.share.is_finite()) {
            c.err(
                0..0,
                format!(
                    "classes.{name}.share is {}; it must be a number ≥ 0",
                    cl.share
                ),
            );
        }
        if cl.timeout == SimDuration::ZERO {
            c.err(
                0..0,
                format!("classes.{name}.timeout is zero; give the client a timeout such as \"1s\""),
            );
        }
        classes.push(cl);
    }
    if classes.iter().all(|cl| cl.share <= 0.0) {
        c.err(
            0..0,
            "every class has share 0, so no request would ever be sent; give one a positive share",
        );
    }
    classes
}
