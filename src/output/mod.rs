//! Write: the staging folder, the swap, and the files distill adds (manifest, `_headers`,
//! precompressed siblings).
//!
//! Everything is written to a staging folder beside the target (same filesystem), and only a
//! run that succeeded swaps it in: with one atomic `renameat2(RENAME_EXCHANGE)` on Linux, or
//! two renames elsewhere. Until then the target is untouched; a failed or interrupted run
//! removes the staging folder (its guard does, on drop).

pub mod headers;
pub mod manifest;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::budget::{Compressed, Sizes};
use crate::config::Encoding;
use crate::diag::{Diagnostic, Error};
use crate::discover::Kind;
use crate::refs::RefKind;

/// Where an output file's bytes come from.
#[derive(Debug)]
pub enum Data {
    Text(String),
    /// Unchanged: copied from the input.
    Copy(PathBuf),
}

#[derive(Debug)]
pub struct OutputFile {
    /// Path in the input (the manifest key).
    pub original: String,
    /// Path in the output.
    pub path: String,
    pub kind: Kind,
    pub hashed: bool,
    pub data: Data,
    /// blake3 of the final bytes.
    pub digest: [u8; 32],
    pub sizes: Sizes,
    pub compressed: Compressed,
    /// What it references: kind and the target's original path.
    pub links: Vec<(RefKind, String)>,
    /// A processed image: whether the original was optimized, and its variants.
    pub image: Option<ImageOutput>,
    /// A page with critical CSS inlined.
    pub critical: Option<crate::critical::Inlined>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageOutput {
    pub width: u32,
    pub height: u32,
    pub optimized: bool,
    pub variants: Vec<VariantOutput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantOutput {
    /// Output path.
    pub file: String,
    pub format: crate::image::VariantFormat,
    pub width: u32,
    pub height: u32,
    pub size: u64,
}

/// A staging folder that removes itself unless committed.
pub struct Staging {
    path: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staging {
    /// Creates `.{name}.distill-staging-{pid}` beside `target`.
    pub fn create(target: &Path) -> Result<Staging, Error> {
        let parent = parent_dir(target);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let path = parent.join(format!(".{name}.distill-staging-{}", std::process::id()));
        if path.exists() {
            remove_tree(&path).map_err(|e| Error::io(&path, e))?;
        }
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        std::fs::create_dir(&path).map_err(|e| Error::io(&path, e))?;
        Ok(Staging {
            path,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts the staged folder in the target's place. The old target, if any, is removed
    /// only after the new one is in place. A copy of the old target that cannot be removed (a
    /// folder in it the user made read-only, and the user may not change that) is named in the
    /// warning returned.
    pub fn commit(mut self) -> Result<Option<Diagnostic>, Error> {
        let old = if self.target.exists() {
            if exchange(&self.path, &self.target).is_ok() {
                // `self.path` now holds the old target.
                self.committed = true;
                self.path.clone()
            } else {
                let old = self.path.with_extension("old");
                std::fs::rename(&self.target, &old).map_err(|e| Error::io(&self.target, e))?;
                if let Err(e) = std::fs::rename(&self.path, &self.target) {
                    let _ = std::fs::rename(&old, &self.target);
                    return Err(Error::io(&self.target, e));
                }
                self.committed = true;
                old
            }
        } else {
            std::fs::rename(&self.path, &self.target).map_err(|e| Error::io(&self.target, e))?;
            self.committed = true;
            return Ok(None);
        };
        Ok(remove_tree(&old).err().map(|e| {
            Diagnostic::warning(
                &old.display().to_string(),
                None,
                format!("the previous contents of the folder, swapped out, could not be removed ({e}): delete it by hand"),
            )
        }))
    }
}

/// Removes a folder and everything in it. A folder without write permission (a read-only
/// `vendor/` copied from a package, say) keeps its entries from being removed, so on failure
/// every folder is made writable by its owner and the removal tried again.
pub fn remove_tree(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if path.exists() => {
            make_writable(path);
            std::fs::remove_dir_all(path).map_err(|_| e)
        }
        _ => Ok(()),
    }
}

#[cfg(unix)]
fn make_writable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for entry in walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(|e| e.ok())
    {
        if entry.file_type().is_dir()
            && let Ok(meta) = entry.metadata()
        {
            let mode = meta.permissions().mode() | 0o700;
            let _ = std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode));
        }
    }
}

#[cfg(not(unix))]
fn make_writable(_: &Path) {}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = remove_tree(&self.path);
        }
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // The system call itself, not glibc's `renameat2` wrapper (glibc 2.28): the binary
    // distributed on npm links against glibc 2.17 so that it runs on old distributions. A kernel
    // older than 3.15 answers ENOSYS, and the caller falls back to two renames.
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them like rename(2).
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Writes every file (and its precompressed siblings) under `dir`.
pub fn write_files(
    dir: &Path,
    files: &[OutputFile],
    precompress: &[Encoding],
) -> Result<(), Error> {
    let mut folders: Vec<PathBuf> = files
        .iter()
        .filter_map(|f| Path::new(&f.path).parent().map(|p| dir.join(p)))
        .collect();
    folders.sort();
    folders.dedup();
    for folder in &folders {
        std::fs::create_dir_all(folder).map_err(|e| Error::io(folder, e))?;
    }
    files.par_iter().try_for_each(|file| {
        crate::cancel::check()?;
        let dest = dir.join(&file.path);
        match &file.data {
            Data::Text(text) => write(&dest, text.as_bytes())?,
            Data::Copy(from) => {
                std::fs::copy(from, &dest).map_err(|e| Error::io(from, e))?;
            }
        }
        for encoding in precompress {
            let body = match encoding {
                Encoding::Brotli => file.compressed.brotli.as_deref(),
                Encoding::Gzip => file.compressed.gzip.as_deref(),
            };
            // Only where it pays: a server would otherwise send the original.
            if let Some(body) = body.filter(|b| (b.len() as u64) < file.sizes.size) {
                let sibling = dir.join(format!("{}.{}", file.path, encoding.extension()));
                write(&sibling, body)?;
            }
        }
        Ok(())
    })
}

pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
}
