//! Ctrl-C in the interactive shell: what SIGINT does while the shell is busy.
//!
//! At the prompt the line editor reads Ctrl-C as a key (it clears the line being typed). While a
//! statement runs, the terminal sends SIGINT instead; the handler installed here then interrupts the
//! session's running statement (the engine cancels it) and records the press, so that whoever is
//! waiting — a backup progress bar, a script run by `.read` — can stop waiting. Scripts run with
//! `-c`/`-f` install no handler: there, Ctrl-C ends the process as usual.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tessera::InterruptHandle;

/// Whether Ctrl-C was pressed since the last [`CtrlC::reset`].
#[derive(Clone)]
pub struct CtrlC {
    pressed: Arc<AtomicBool>,
}

impl CtrlC {
    /// Installs the process's SIGINT handler; `interrupt` is the shell session's handle.
    pub fn install(interrupt: InterruptHandle) -> Result<CtrlC, String> {
        let pressed = Arc::new(AtomicBool::new(false));
        let flag = pressed.clone();
        ctrlc::set_handler(move || {
            flag.store(true, Ordering::SeqCst);
            interrupt.interrupt();
        })
        .map_err(|e| format!("cannot handle Ctrl-C: {e}"))?;
        Ok(CtrlC { pressed })
    }

    /// Forgets earlier presses; called before each statement.
    pub fn reset(&self) {
        self.pressed.store(false, Ordering::SeqCst);
    }

    /// True when Ctrl-C was pressed since the last reset.
    pub fn pressed(&self) -> bool {
        self.pressed.load(Ordering::SeqCst)
    }
}
