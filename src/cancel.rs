//! Cooperative cancellation: Ctrl-C sets a flag, the stages check it between files and stop
//! with [`Error::Interrupted`]; the staging guard then removes the half-written output.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::diag::Error;

static CANCELLED: AtomicBool = AtomicBool::new(false);

/// Asks the running build to stop at its next check.
pub fn request() {
    CANCELLED.store(true, Ordering::SeqCst);
}

pub fn check() -> Result<(), Error> {
    if CANCELLED.load(Ordering::SeqCst) {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}
