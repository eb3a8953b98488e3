//! How the library tells the binary what it is doing. The binary draws a progress bar on a
//! terminal and plain lines elsewhere; tests pass [`Silent`].

pub trait Progress: Sync {
    /// A stage starts; `total` is its number of items (0 when unknown).
    fn stage(&self, name: &str, total: u64);
    /// `n` more items of the current stage are done.
    fn advance(&self, n: u64);
    /// The stage is done.
    fn finish(&self);
}

pub struct Silent;

impl Progress for Silent {
    fn stage(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}
