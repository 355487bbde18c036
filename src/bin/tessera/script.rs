//! Non-interactive runs (`-c`, `-f`, standard input): the statements run in order in one session,
//! result sets are printed in the `--format` chosen, and the first failing statement prints its error
//! on stderr and stops the run with exit code 1.

use std::io::Write;
use std::process::ExitCode;

use tessera::{BackupState, RestoreState, Session};

use crate::jobs::{JobOutcome, Jobs};
use crate::output::{print_result, Format};

/// Runs statements one by one; stops at the first error. Waits for the jobs it started before
/// returning.
pub fn run_script(session: &mut Session, text: &str, format: Format, mut jobs: Jobs) -> ExitCode {
    let code = run_statements(session, text, format, &mut jobs);
    jobs.finish();
    code
}

fn run_statements(session: &mut Session, text: &str, format: Format, jobs: &mut Jobs) -> ExitCode {
    let statements = match tessera_sql::split_statements(text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ERROR: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for statement in statements {
        match session.execute(&statement) {
            Ok(results) => {
                for result in &results {
                    if let Err(e) = print_result(&mut out, result, format) {
                        eprintln!("ERROR: cannot write output: {e}");
                        return ExitCode::FAILURE;
                    }
                    let _ = out.flush();
                    for warning in &result.warnings {
                        eprintln!("WARNING: {warning}");
                    }
                    match jobs.after_statement(result, None) {
                        Some(JobOutcome::Ended { job, .. }) if job.state == BackupState::Cancelled => {
                            eprintln!("ERROR: backup {} was cancelled: {}", job.label, job.status);
                            return ExitCode::FAILURE;
                        }
                        Some(JobOutcome::RestoreEnded(job)) if job.state == RestoreState::Cancelled => {
                            eprintln!("ERROR: restore {} was cancelled: {}", job.label, job.status);
                            return ExitCode::FAILURE;
                        }
                        _ => {}
                    }
                }
            }
            Err(e) => {
                let _ = out.flush();
                eprintln!("ERROR: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}
