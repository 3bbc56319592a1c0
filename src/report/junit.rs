//! `--junit FILE`: JUnit XML, one testsuite per model folder.
//!
//! NOTE: first version; passing testcases per template × rule are issue 4.

use std::io::Write;

use anyhow::Result;
use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};

use super::position;
use crate::finding::Severity;
use crate::resolve::Report;

pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<()> {
    let mut jr = JReport::new("chat-template-lint");
    for model in &report.models {
        let mut suite = TestSuite::new(model.rel_dir.clone());
        for f in report
            .findings
            .iter()
            .filter(|f| in_dir(&f.path, &model.rel_dir))
        {
            let mut status = TestCaseStatus::non_success(match f.severity {
                Severity::Error => NonSuccessKind::Failure,
                Severity::Warning | Severity::Info => NonSuccessKind::Error,
            });
            status.set_message(f.message.clone());
            let mut case = TestCase::new(
                format!("{}:{}", f.template.as_deref().unwrap_or("-"), f.rule.id()),
                status,
            );
            case.set_classname(model.rel_dir.clone());
            if let Some(p) = position(report, f) {
                case.extra.insert("line".into(), p.line.to_string().into());
            }
            case.extra.insert("file".into(), f.path.clone().into());
            suite.add_test_case(case);
        }
        jr.add_test_suite(suite);
    }
    jr.serialize(&mut *out)?;
    Ok(())
}

fn in_dir(path: &str, dir: &str) -> bool {
    dir == "." && !path.contains('/')
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/') && !rest[1..].contains('/'))
}
