//! Files at the trust boundary.
//!
//! - Files sagediag writes that hold secrets or HR data (the secrets file, reports, HAR exports,
//!   the console's log, saved profiles) are owner-only (mode 0600) and never written through a
//!   symbolic link: [`write_private`] writes a whole file by an exclusively created temporary file
//!   beside it and a rename; [`create_private`] and [`append_private`] open one for writing.
//! - Files the user names (the JWT private key, CA certificates, the config file, the profiles
//!   file) must be regular files under a size cap: [`read_user_file`]. A FIFO or `/dev/zero`
//!   given by mistake fails at once instead of reading forever.
//!
//! Messages name the file and say what to do; they never quote the file's content.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// A kind of file the user names: what it is, for messages, and how large it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserFile {
    /// "private key", "CA certificate"…
    pub what: &'static str,
    /// What to do instead, e.g. "give the path of the PEM file".
    pub hint: &'static str,
    /// The largest size accepted, in bytes.
    pub cap: u64,
}

/// The JWT flow's private key (PEM): a few KiB even for RSA 8192.
pub const PRIVATE_KEY: UserFile = UserFile {
    what: "private key",
    hint: "give the path of the PEM file",
    cap: 64 * KIB,
};
/// `--ca-cert`: a PEM certificate or bundle (a whole system bundle is ~250 KiB).
pub const CA_CERT: UserFile = UserFile {
    what: "CA certificate",
    hint: "give the path of the PEM file",
    cap: 4 * MIB,
};
/// The TOML config file.
pub const CONFIG: UserFile = UserFile {
    what: "config file",
    hint: "give the path of the TOML file (SAGEDIAG_CONFIG)",
    cap: MIB,
};
/// The console's saved profiles (JSON).
pub const PROFILES: UserFile = UserFile {
    what: "profiles file",
    hint: "give the path of a JSON file (SAGEDIAG_PROFILES)",
    cap: MIB,
};

/// Why a user-named file cannot be read.
#[derive(Debug)]
pub enum ReadProblem {
    /// It cannot be opened or read.
    Io(io::Error),
    /// Not a regular file: "a FIFO", "a directory", "a character device"…
    NotRegular(&'static str),
    /// Larger than the cap (its size, when known).
    TooLarge(Option<u64>),
    /// Not UTF-8 text.
    NotText,
}

/// A user-named file that cannot be read: the path, the kind and why.
#[derive(Debug)]
pub struct ReadError {
    pub path: PathBuf,
    pub file: UserFile,
    pub problem: ReadProblem,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let UserFile { what, hint, cap } = self.file;
        let path = self.path.display();
        match &self.problem {
            ReadProblem::Io(e) => write!(f, "{path}: cannot read the {what}: {e}"),
            ReadProblem::NotRegular(kind) => {
                write!(f, "{path}: not a regular file ({kind}); {hint}")
            }
            ReadProblem::TooLarge(size) => {
                let size = size.map(|s| format!(" ({})", bytes(s))).unwrap_or_default();
                write!(
                    f,
                    "{path}: too large for a {what}{size}, more than {}; {hint}",
                    bytes(cap)
                )
            }
            ReadProblem::NotText => write!(f, "{path}: the {what} is not text (UTF-8); {hint}"),
        }
    }
}

impl std::error::Error for ReadError {}

fn bytes(n: u64) -> String {
    if n >= MIB {
        format!("{:.1} MiB", n as f64 / MIB as f64)
    } else if n >= KIB {
        format!("{:.1} KiB", n as f64 / KIB as f64)
    } else {
        format!("{n} bytes")
    }
}

/// What a file that is not a regular file is, for messages.
fn file_kind(m: &Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_dir() {
        return "a directory";
    }
    if t.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a file"
}

/// Opens for reading without blocking on a FIFO (`O_NONBLOCK`); `nofollow` refuses a symbolic
/// link as the last component (`O_NOFOLLOW`).
fn open_read(path: &Path, nofollow: bool) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = rustix::fs::OFlags::NONBLOCK.bits() as i32;
        if nofollow {
            flags |= rustix::fs::OFlags::NOFOLLOW.bits() as i32;
        }
        opts.custom_flags(flags);
    }
    #[cfg(not(unix))]
    if nofollow && is_symlink(path) {
        return Err(symlink_error());
    }
    opts.open(path).map_err(|e| explain_nofollow(path, e))
}

/// Reads at most `cap` bytes from an open regular file (`take(cap + 1)` guards a file that grows).
fn read_capped(file: File, cap: u64) -> Result<Vec<u8>, ReadProblem> {
    let mut buf = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(ReadProblem::Io)?;
    if buf.len() as u64 > cap {
        return Err(ReadProblem::TooLarge(None));
    }
    Ok(buf)
}

/// The text of a file the user named: it must be a regular file of at most `file.cap` bytes,
/// in UTF-8. Symbolic links are followed (the user chose the path). Never blocks on a FIFO.
pub fn read_user_file(path: &Path, file: UserFile) -> Result<String, ReadError> {
    let err = |problem| ReadError {
        path: path.to_path_buf(),
        file,
        problem,
    };
    let f = open_read(path, false).map_err(|e| err(ReadProblem::Io(e)))?;
    let meta = f.metadata().map_err(|e| err(ReadProblem::Io(e)))?;
    if !meta.is_file() {
        return Err(err(ReadProblem::NotRegular(file_kind(&meta))));
    }
    if meta.len() > file.cap {
        return Err(err(ReadProblem::TooLarge(Some(meta.len()))));
    }
    let buf = read_capped(f, file.cap).map_err(err)?;
    String::from_utf8(buf).map_err(|_| err(ReadProblem::NotText))
}

/// A private file's text (the secrets file): `Ok(None)` when it does not exist. A symbolic link
/// is refused, as are a file that is not regular, belongs to another user, is larger than `cap`,
/// or can be read or written by others (with the `chmod` that fixes it).
pub fn read_private(path: &Path, cap: u64) -> io::Result<Option<String>> {
    let f = match open_read(path, true) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = f.metadata()?;
    check_ours(&meta)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "others can read or write it (mode {mode:o}); refusing to use it. Fix: chmod 600 {}",
                    path.display()
                ),
            ));
        }
    }
    if meta.len() > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "too large ({}, more than {})",
                bytes(meta.len()),
                bytes(cap)
            ),
        ));
    }
    let buf = read_capped(f, cap).map_err(|p| match p {
        ReadProblem::Io(e) => e,
        _ => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("too large (more than {})", bytes(cap)),
        ),
    })?;
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not text (UTF-8)"))
}

fn symlink_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "it is a symbolic link, and sagediag never reads or writes a private file through one; \
         remove the link or give the real path",
    )
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// `O_NOFOLLOW` on a symbolic link fails with `ELOOP` (`EMLINK` on FreeBSD): say so plainly.
fn explain_nofollow(path: &Path, e: io::Error) -> io::Error {
    #[cfg(unix)]
    if matches!(e.raw_os_error(), Some(e) if e == rustix::io::Errno::LOOP.raw_os_error() || e == rustix::io::Errno::MLINK.raw_os_error())
        && is_symlink(path)
    {
        return symlink_error();
    }
    let _ = path;
    e
}

/// The effective user id (unix).
#[cfg(unix)]
fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// A file we are about to read secrets from or write them to: a regular file of ours.
fn check_ours(meta: &Metadata) -> io::Result<()> {
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "not a regular file ({}); give the path of a file",
                file_kind(meta)
            ),
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != euid() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "it belongs to another user (uid {}); remove it or give another path",
                    meta.uid()
                ),
            ));
        }
    }
    Ok(())
}

/// Opens `path` for writing, owner-only: created with mode 0600, or, when it exists, a regular
/// file of ours (never through a symbolic link) tightened to 0600. Truncated unless `append`.
fn open_private(path: &Path, append: bool) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.create(true);
    if append {
        opts.append(true);
    } else {
        opts.write(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(
            rustix::fs::OFlags::NOFOLLOW.bits() as i32 | rustix::fs::OFlags::NONBLOCK.bits() as i32,
        );
    }
    #[cfg(not(unix))]
    if is_symlink(path) {
        return Err(symlink_error());
    }
    let f = opts.open(path).map_err(|e| explain_nofollow(path, e))?;
    let meta = f.metadata()?;
    check_ours(&meta)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    if !append {
        f.set_len(0)?;
    }
    Ok(f)
}

/// Creates or truncates `path` for writing, owner-only (see the module's notes).
pub fn create_private(path: &Path) -> io::Result<File> {
    open_private(path, false)
}

/// Opens `path` for appending (the console's log), owner-only; created when missing.
pub fn append_private(path: &Path) -> io::Result<File> {
    open_private(path, true)
}

/// The directory of `path` ("." for a bare file name).
pub fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes `bytes` as the whole of `path`, owner-only (0600): into a temporary file created
/// exclusively (`O_CREAT|O_EXCL`, random name) in the same directory, synced, renamed over
/// `path`, and the directory synced. Readers see the old file or the new one, never half; a
/// symbolic link (or anything but a regular file) at `path` is refused, never followed.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_private_with(path, |w| w.write_all(bytes))
}

/// [`write_private`] for a file written piece by piece: `write` is given the temporary file
/// (buffered); on its error the temporary file is removed and `path` left as it was.
pub fn write_private_with(
    path: &Path,
    write: impl FnOnce(&mut io::BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => return Err(symlink_error()),
        Ok(m) if !m.is_file() => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "not a regular file ({}); give the path of a file",
                    file_kind(&m)
                ),
            ));
        }
        _ => {}
    }
    let dir = dir_of(path);
    let (tmp, f) = create_temp(dir)?;
    let mut w = io::BufWriter::with_capacity(256 * 1024, f);
    let written = write(&mut w)
        .and_then(|()| w.into_inner().map_err(io::IntoInnerError::into_error))
        .and_then(|f| f.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir);
    Ok(())
}

/// A new temporary file in `dir`: a random name, created exclusively with mode 0600 (a file or
/// link already there, say one planted by another user, is never opened).
fn create_temp(dir: &Path) -> io::Result<(PathBuf, File)> {
    let mut last = None;
    for _ in 0..16 {
        let tag = super::crypto::random_urlsafe(12).map_err(io::Error::other)?;
        let tmp = dir.join(format!(".sagediag-{tag}.tmp"));
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600)
                .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
        }
        match opts.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temporary name")))
}

/// Makes a rename durable (unix; elsewhere and on failure, best effort).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    let _ = dir;
}

/// Creates `dir` and its missing parents owner-only (mode 0700); an existing one is left as is.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if std::fs::symlink_metadata(dir).is_ok() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Creates `dir` owner-only when missing ([`create_private_dir`]), then checks it with
/// [`check_private_dir`].
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    create_private_dir(dir)?;
    check_private_dir(dir)
}

/// A directory that holds secrets: not a symbolic link, ours, and not writable by group or
/// others (who could otherwise swap the file). Errors say what to do.
pub fn check_private_dir(dir: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(dir)?;
    if meta.file_type().is_symlink() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "the directory {} is a symbolic link; sagediag keeps secrets only in a real \
                 directory: give the real path (SAGEDIAG_SECRETS)",
                dir.display()
            ),
        ));
    }
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a directory", dir.display()),
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if meta.uid() != euid() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "the directory {} belongs to another user (uid {}); keep secrets in a \
                     directory of your own (unset SAGEDIAG_SECRETS for the default, or point \
                     it into a directory only you can write, e.g. made by mktemp -d)",
                    dir.display(),
                    meta.uid()
                ),
            ));
        }
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "the directory {} can be written by others (mode {mode:o}), who could swap \
                     the secrets file; fix: chmod 700 {}",
                    dir.display(),
                    dir.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Holds an exclusive lock on `lock_path` (created owner-only, kept afterwards) until dropped.
/// Writers of one file take it across read-modify-write, so concurrent runs merge their changes.
pub fn lock_exclusive(lock_path: &Path) -> io::Result<File> {
    let f = append_private(lock_path)?;
    f.lock()?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("sagediag-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        ensure_private_dir(&dir).unwrap();
        dir
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn private_writes_are_owner_only_whole_and_never_through_a_link() {
        let dir = scratch("write");
        let path = dir.join("report.md");
        write_private(&path, b"one").unwrap();
        write_private(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(mode(&path), 0o600);
            // An existing loose file is replaced by an owner-only one.
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            write_private(&path, b"three").unwrap();
            assert_eq!(mode(&path), 0o600);

            // create_private and append_private tighten an existing file and never follow a link.
            let log = dir.join("sagediag.log");
            std::fs::write(&log, "old\n").unwrap();
            std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
            append_private(&log).unwrap().write_all(b"new\n").unwrap();
            assert_eq!(mode(&log), 0o600);
            assert_eq!(std::fs::read_to_string(&log).unwrap(), "old\nnew\n");
            create_private(&log).unwrap().write_all(b"x").unwrap();
            assert_eq!(std::fs::read_to_string(&log).unwrap(), "x");

            let target = dir.join("victim");
            std::fs::write(&target, "victim's").unwrap();
            let link = dir.join("link");
            std::os::unix::fs::symlink(&target, &link).unwrap();
            for e in [
                write_private(&link, b"secret").unwrap_err(),
                create_private(&link).map(|_| ()).unwrap_err(),
                append_private(&link).map(|_| ()).unwrap_err(),
            ] {
                assert!(e.to_string().contains("symbolic link"), "{e}");
            }
            assert_eq!(std::fs::read_to_string(&target).unwrap(), "victim's");
            assert!(
                read_private(&link, 1024)
                    .unwrap_err()
                    .to_string()
                    .contains("symbolic link")
            );
        }
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn user_files_must_be_regular_and_small() {
        let dir = scratch("user");
        let key = dir.join("key.pem");
        std::fs::write(&key, "-----BEGIN PRIVATE KEY-----\n").unwrap();
        assert!(
            read_user_file(&key, PRIVATE_KEY)
                .unwrap()
                .starts_with("-----BEGIN")
        );

        let big = dir.join("big.pem");
        std::fs::write(&big, vec![b'a'; 70 * 1024]).unwrap();
        let e = read_user_file(&big, PRIVATE_KEY).unwrap_err().to_string();
        assert!(e.contains("too large for a private key"), "{e}");
        assert!(e.contains("give the path of the PEM file"), "{e}");

        let e = read_user_file(&dir, CONFIG).unwrap_err().to_string();
        assert!(e.contains("not a regular file (a directory)"), "{e}");

        let e = read_user_file(&dir.join("missing"), CONFIG)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read the config file"), "{e}");

        #[cfg(unix)]
        {
            let e = read_user_file(Path::new("/dev/zero"), PRIVATE_KEY)
                .unwrap_err()
                .to_string();
            assert!(e.contains("not a regular file (a character device)"), "{e}");
            let fifo = dir.join("fifo");
            let ok = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                let e = read_user_file(&fifo, CA_CERT).unwrap_err().to_string();
                assert!(e.contains("not a regular file (a FIFO)"), "{e}");
                assert!(e.contains("give the path of the PEM file"), "{e}");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_secrets_directory_must_be_real_ours_and_closed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("dir");
        check_private_dir(&dir).unwrap();
        let open = dir.join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = check_private_dir(&open).unwrap_err().to_string();
        assert!(e.contains("chmod 700"), "{e}");
        let link = dir.join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        let e = check_private_dir(&link).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
