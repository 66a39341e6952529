//! The key agent (as `ssh-agent` is for SSH keys): one process derives a sealed wallet's key
//! from its passphrase once and hands the key, never the passphrase, to the same user's later
//! processes over a Unix socket, so each of them skips the argon2id run (about 0.1 s).
//!
//! The socket is `HOME/agent/socket`, in a directory created with mode `0700` that must be a
//! real directory (not a symbolic link) owned by the current user: what guards the key is
//! that only this user can reach the socket. While the agent runs, `HOME/agent/lock` is held
//! locked (a second agent for the home refuses to start); a socket file nobody listens on
//! (an agent that was killed) is replaced. The agent exits when its time to live is over or
//! when asked to, and removes its socket; its key is zeroised on drop.
//!
//! Wire protocol: a connection carries one request and one reply. A request is [`MAGIC`]
//! followed by an operation byte:
//!
//! ```text
//! request                                        reply
//! "ZKA1" 'K' costs (12 bytes) salt (16 bytes)    '1' key (32 bytes), or '0' if the agent's
//!                                                key has other costs or another salt
//! "ZKA1" 'S'                                     '1' seconds left (u64, big-endian)
//! "ZKA1" 'Q'                                     '1', then the agent exits
//! ```
//!
//! The costs are encoded as in the sealed wallet's header ([`Header::cost_bytes`]: memory,
//! passes, lanes, little-endian u32s). A request with another magic or operation, or one
//! not complete within [`IO_TIMEOUT`], is closed without a reply.

use crate::sealed::{Header, SealError, SealKey, HEADER_BYTES, KDF_COST_BYTES, SALT_BYTES};
use std::{
    fs::{DirBuilder, File, OpenOptions},
    io::{ErrorKind, Read, Write},
    os::unix::{
        fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt},
        net::{UnixListener, UnixStream},
    },
    path::{Path, PathBuf},
    time::{Duration, Instant},
};
use zeroize::Zeroizing;

/// The agent's directory inside a home.
pub const AGENT_DIR: &str = "agent";
/// The socket's file name inside [`AGENT_DIR`].
pub const SOCKET_FILE: &str = "socket";
/// The lock file the running agent holds, inside [`AGENT_DIR`].
pub const LOCK_FILE: &str = "lock";
/// First bytes of every request (protocol version 1).
pub const MAGIC: [u8; 4] = *b"ZKA1";
/// Operation: the key for these costs and salt.
pub const OP_KEY: u8 = b'K';
/// Operation: seconds left.
pub const OP_STATUS: u8 = b'S';
/// Operation: exit.
pub const OP_QUIT: u8 = b'Q';
/// Reply: yes (followed by the answer).
pub const REPLY_YES: u8 = b'1';
/// Reply: no key for these costs and salt.
pub const REPLY_NO: u8 = b'0';
/// How long a connection may take to send its request or read its reply, either side.
pub const IO_TIMEOUT: Duration = Duration::from_secs(2);
/// How long an agent runs unless told otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(900);
/// The longest an agent may run: a day.
pub const MAX_TTL_SECS: u64 = 86_400;
/// Bytes of a key request after the magic and the operation.
const KEY_REQUEST_BYTES: usize = KDF_COST_BYTES + SALT_BYTES;
/// How often an idle agent checks its clock and its socket (also the most a request waits
/// before it is accepted).
const POLL: Duration = Duration::from_millis(5);
/// How often the agent checks that its socket is still its own.
const SOCKET_CHECK: Duration = Duration::from_secs(1);
/// Bytes of `sockaddr_un.sun_path`, its terminating NUL included.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const SUN_PATH_BYTES: usize = 108;
/// Bytes of `sockaddr_un.sun_path`, its terminating NUL included.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub const SUN_PATH_BYTES: usize = 104;

/// Why the agent could not start, answer, or be asked.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The operating system refused a file or socket operation.
    #[error("key agent: {0}")]
    Io(#[from] std::io::Error),
    /// The socket's path does not fit a Unix socket address.
    #[error(
        "the agent's socket path {} has {len} bytes; a Unix socket path may have at most {max} \
         (use a shorter --home)",
        path.display()
    )]
    SocketPathTooLong {
        /// The socket's path.
        path: PathBuf,
        /// Its length in bytes.
        len: usize,
        /// The most bytes it may have.
        max: usize,
    },
    /// The agent's directory is a symbolic link.
    #[error("{} is a symbolic link: the agent's directory must be a directory", .0.display())]
    Symlink(PathBuf),
    /// The agent's directory (or socket) is something else.
    #[error("{} is not a {what}", path.display())]
    WrongFileType {
        /// The path.
        path: PathBuf,
        /// What it should be.
        what: &'static str,
    },
    /// The agent's directory belongs to another user.
    #[error("{} belongs to user {owner}, not to this user ({uid})", path.display())]
    NotOwned {
        /// The directory.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// This process's user.
        uid: u32,
    },
    /// The agent's directory can be entered by other users.
    #[error("{} is open to other users (its mode must be 0700)", .0.display())]
    NotPrivate(PathBuf),
    /// Another agent runs for this home.
    #[error("an agent is already running for this home ({})", .0.display())]
    AlreadyRunning(PathBuf),
    /// No agent listens on the socket.
    #[error("no agent is running for this home")]
    NotRunning,
    /// The agent holds the key of another wallet, or of this one before its passphrase was
    /// changed.
    #[error("the agent holds no key for this wallet (another wallet, or its passphrase changed)")]
    NoKey,
    /// The agent's reply is not one of the protocol's.
    #[error("the agent's reply is malformed")]
    BadReply,
    /// The wallet's header could not be read.
    #[error("{0}")]
    Seal(#[from] SealError),
}

/// Why [`Agent::serve`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentExit {
    /// Its time to live ran out.
    Expired,
    /// A client asked it to exit.
    Stopped,
    /// Its socket was removed or replaced: nobody can reach it any more.
    SocketGone,
}

/// The agent's socket in `home`.
pub fn socket_path(home: &Path) -> PathBuf {
    home.join(AGENT_DIR).join(SOCKET_FILE)
}

/// A running agent: a bound socket, the lock, and the key. Dropping it removes the socket
/// (if still its own) and zeroises the key.
pub struct Agent {
    key: SealKey,
    listener: UnixListener,
    socket: PathBuf,
    /// The socket file's device and inode, to remove it only while it is ours.
    socket_id: (u64, u64),
    deadline: Instant,
    /// Held locked while the agent lives.
    _lock: File,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("socket", &self.socket)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// Starts an agent for `home` holding `key` for `ttl`: creates (or checks and narrows)
    /// the agent's directory, takes its lock, replaces a stale socket and binds a new one.
    /// Requests are answered by [`Agent::serve`].
    ///
    /// # Errors
    ///
    /// [`AgentError::SocketPathTooLong`], a directory that is a link, not a directory or
    /// another user's, [`AgentError::AlreadyRunning`], or an I/O error.
    pub fn start(home: &Path, key: SealKey, ttl: Duration) -> Result<Self, AgentError> {
        let socket = socket_path(home);
        check_socket_length(&socket)?;
        let dir = home.join(AGENT_DIR);
        match DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.into()),
        }
        let mode = check_directory(&dir)?;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
        let lock = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(dir.join(LOCK_FILE))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(AgentError::AlreadyRunning(socket))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
        }
        remove_stale_socket(&socket)?;
        let listener = UnixListener::bind(&socket)?;
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600))?;
        let meta = std::fs::symlink_metadata(&socket)?;
        listener.set_nonblocking(true)?;
        Ok(Self {
            key,
            listener,
            socket,
            socket_id: (meta.dev(), meta.ino()),
            deadline: Instant::now() + ttl,
            _lock: lock,
        })
    }

    /// The socket this agent listens on.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Whole seconds until the agent exits, rounded up.
    pub fn seconds_left(&self) -> u64 {
        seconds_until(self.deadline)
    }

    /// Answers requests, one connection at a time, until the time to live runs out, a
    /// client asks it to exit, or its socket is removed; then drops the agent (the socket is
    /// removed, the key zeroised). A malformed or slow request closes that connection only.
    ///
    /// # Errors
    ///
    /// The listening socket failed.
    pub fn serve(self) -> Result<AgentExit, AgentError> {
        let mut checked = Instant::now();
        loop {
            let now = Instant::now();
            if now >= self.deadline {
                return Ok(AgentExit::Expired);
            }
            if now.duration_since(checked) >= SOCKET_CHECK {
                checked = now;
                if !self.socket_is_ours() {
                    return Ok(AgentExit::SocketGone);
                }
            }
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if let Ok(Answered::Quit) = self.answer(stream) {
                        return Ok(AgentExit::Stopped);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    std::thread::sleep(POLL.min(self.deadline.saturating_duration_since(now)));
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // A connection that went away before it was accepted.
                Err(e) if e.kind() == ErrorKind::ConnectionAborted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Reads one request from `stream` and answers it.
    fn answer(&self, mut stream: UnixStream) -> std::io::Result<Answered> {
        stream.set_nonblocking(false)?;
        let deadline = Instant::now() + IO_TIMEOUT;
        let mut head = [0u8; MAGIC.len() + 1];
        read_exact_by(&mut stream, &mut head, deadline)?;
        if head[..MAGIC.len()] != MAGIC {
            return Ok(Answered::Refused);
        }
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        match head[MAGIC.len()] {
            OP_KEY => {
                let mut body = [0u8; KEY_REQUEST_BYTES];
                read_exact_by(&mut stream, &mut body, deadline)?;
                let (cost, salt) = body.split_at(KDF_COST_BYTES);
                let same = Header::cost_bytes(self.key.cost())[..] == *cost
                    && self.key.salt()[..] == *salt;
                if same {
                    let mut reply = Zeroizing::new([0u8; 1 + 32]);
                    reply[0] = REPLY_YES;
                    reply[1..].copy_from_slice(self.key.key_bytes());
                    stream.write_all(reply.as_ref())?;
                } else {
                    stream.write_all(&[REPLY_NO])?;
                }
                Ok(Answered::Replied)
            }
            OP_STATUS => {
                let mut reply = [0u8; 1 + 8];
                reply[0] = REPLY_YES;
                reply[1..].copy_from_slice(&self.seconds_left().to_be_bytes());
                stream.write_all(&reply)?;
                Ok(Answered::Replied)
            }
            OP_QUIT => {
                stream.write_all(&[REPLY_YES])?;
                Ok(Answered::Quit)
            }
            _ => Ok(Answered::Refused),
        }
    }

    fn socket_is_ours(&self) -> bool {
        std::fs::symlink_metadata(&self.socket)
            .map(|m| (m.dev(), m.ino()) == self.socket_id)
            .unwrap_or(false)
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if self.socket_is_ours() {
            // Nothing to report from a drop; a socket left behind is replaced at the next
            // start.
            let _ = std::fs::remove_file(&self.socket);
        }
    }
}

/// What became of one connection.
enum Answered {
    Replied,
    Refused,
    Quit,
}

/// Reads exactly `buf.len()` bytes, all of them before `deadline`.
fn read_exact_by(
    stream: &mut UnixStream,
    buf: &mut [u8],
    deadline: Instant,
) -> std::io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buf[filled..]) {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn seconds_until(deadline: Instant) -> u64 {
    let left = deadline.saturating_duration_since(Instant::now());
    left.as_secs() + u64::from(left.subsec_nanos() > 0)
}

/// Refuses a socket path that does not fit `sockaddr_un` (with its terminating NUL).
fn check_socket_length(socket: &Path) -> Result<(), AgentError> {
    let len = socket.as_os_str().len();
    if len >= SUN_PATH_BYTES {
        return Err(AgentError::SocketPathTooLong {
            path: socket.to_owned(),
            len,
            max: SUN_PATH_BYTES - 1,
        });
    }
    Ok(())
}

/// Checks that `dir` is a directory (not a link to one) owned by this user; returns its mode.
fn check_directory(dir: &Path) -> Result<u32, AgentError> {
    let meta = std::fs::symlink_metadata(dir)?;
    if meta.file_type().is_symlink() {
        return Err(AgentError::Symlink(dir.to_owned()));
    }
    if !meta.is_dir() {
        return Err(AgentError::WrongFileType {
            path: dir.to_owned(),
            what: "directory",
        });
    }
    let uid = current_uid()?;
    if meta.uid() != uid {
        return Err(AgentError::NotOwned {
            path: dir.to_owned(),
            owner: meta.uid(),
            uid,
        });
    }
    Ok(meta.mode())
}

/// This process's effective user id, without `libc`: the owner of `/proc/self` on Linux,
/// elsewhere the owner of a file this process creates.
fn current_uid() -> std::io::Result<u32> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Ok(meta) = std::fs::metadata("/proc/self") {
        return Ok(meta.uid());
    }
    let probe = std::env::temp_dir().join(format!(
        ".zkconsent-agent-uid-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&probe)?;
    let uid = file.metadata().map(|m| m.uid());
    drop(file);
    let _ = std::fs::remove_file(&probe);
    uid
}

/// Removes a socket file no agent listens on; refuses a live one or another kind of file.
fn remove_stale_socket(socket: &Path) -> Result<(), AgentError> {
    let meta = match std::fs::symlink_metadata(socket) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if !meta.file_type().is_socket() {
        return Err(AgentError::WrongFileType {
            path: socket.to_owned(),
            what: "socket",
        });
    }
    match UnixStream::connect(socket) {
        Ok(_) => Err(AgentError::AlreadyRunning(socket.to_owned())),
        Err(e) if matches!(e.kind(), ErrorKind::ConnectionRefused | ErrorKind::NotFound) => {
            match std::fs::remove_file(socket) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Connects to the agent of the socket `socket`, after checking its directory is this
/// user's and private.
fn connect(socket: &Path) -> Result<UnixStream, AgentError> {
    check_socket_length(socket)?;
    let dir = socket.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    match check_directory(dir) {
        Ok(mode) if mode & 0o077 != 0 => return Err(AgentError::NotPrivate(dir.to_owned())),
        Ok(_) => {}
        Err(AgentError::Io(e)) if e.kind() == ErrorKind::NotFound => {
            return Err(AgentError::NotRunning)
        }
        Err(e) => return Err(e),
    }
    let stream = match UnixStream::connect(socket) {
        Ok(stream) => stream,
        Err(e) if matches!(e.kind(), ErrorKind::ConnectionRefused | ErrorKind::NotFound) => {
            return Err(AgentError::NotRunning)
        }
        Err(e) => return Err(e.into()),
    };
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(stream)
}

/// Sends `request`, reads the reply's first byte and then `answer.len()` bytes into
/// `answer`.
fn ask(socket: &Path, request: &[u8], answer: &mut [u8]) -> Result<(), AgentError> {
    let mut stream = connect(socket)?;
    stream.write_all(request)?;
    let mut first = [0u8; 1];
    let deadline = Instant::now() + IO_TIMEOUT;
    let short = |e: std::io::Error| match e.kind() {
        ErrorKind::UnexpectedEof => AgentError::BadReply,
        _ => AgentError::Io(e),
    };
    read_exact_by(&mut stream, &mut first, deadline).map_err(short)?;
    match first[0] {
        REPLY_YES => read_exact_by(&mut stream, answer, deadline).map_err(short),
        REPLY_NO => Err(AgentError::NoKey),
        _ => Err(AgentError::BadReply),
    }
}

/// Seconds left to the agent for `home`.
///
/// # Errors
///
/// [`AgentError::NotRunning`], a directory not this user's, or a bad reply.
pub fn status(home: &Path) -> Result<u64, AgentError> {
    let mut left = [0u8; 8];
    ask(&socket_path(home), &request(OP_STATUS), &mut left)?;
    Ok(u64::from_be_bytes(left))
}

/// Asks the agent for `home` to exit (it removes its socket).
///
/// # Errors
///
/// As [`status`].
pub fn stop(home: &Path) -> Result<(), AgentError> {
    ask(&socket_path(home), &request(OP_QUIT), &mut [])
}

fn request(op: u8) -> [u8; MAGIC.len() + 1] {
    let mut out = [0u8; MAGIC.len() + 1];
    out[..MAGIC.len()].copy_from_slice(&MAGIC);
    out[MAGIC.len()] = op;
    out
}

impl SealKey {
    /// Asks the agent listening on `socket` for the key of the sealed wallet at `wallet`:
    /// reads the wallet's header alone (its costs and salt; nothing is decrypted) and asks
    /// for the key derived with them. Open the wallet with
    /// [`crate::Wallet::open_with_key`], which refuses a key for another version's salt.
    ///
    /// # Errors
    ///
    /// [`AgentError::NotRunning`], [`AgentError::NoKey`] (another wallet, or re-keyed),
    /// a wallet that is not sealed ([`AgentError::Seal`]), an agent directory not this
    /// user's, or a bad reply.
    pub fn from_agent(socket: &Path, wallet: &Path) -> Result<SealKey, AgentError> {
        let mut head = Vec::with_capacity(HEADER_BYTES);
        File::open(wallet)?
            .take(HEADER_BYTES as u64)
            .read_to_end(&mut head)?;
        let header = Header::parse_prefix(&head)?;
        let mut ask_key = [0u8; MAGIC.len() + 1 + KEY_REQUEST_BYTES];
        ask_key[..MAGIC.len() + 1].copy_from_slice(&request(OP_KEY));
        let (cost, salt) = ask_key[MAGIC.len() + 1..].split_at_mut(KDF_COST_BYTES);
        cost.copy_from_slice(&Header::cost_bytes(header.cost));
        salt.copy_from_slice(&header.salt);
        let mut key = Zeroizing::new([0u8; 32]);
        ask(socket, &ask_key, key.as_mut())?;
        Ok(SealKey::from_parts(key, header.cost, header.salt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        sealed::{KdfCost, Passphrase},
        Wallet, WalletError,
    };
    use std::thread::JoinHandle;

    /// Cheap costs: the agent is under test here, not argon2.
    const TEST_KDF: KdfCost = KdfCost {
        memory_kib: 64,
        passes: 1,
        lanes: 1,
    };

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.to_owned()).unwrap()
    }

    fn test_key() -> SealKey {
        SealKey::for_new_wallet(&pass("correct horse"), TEST_KDF).unwrap()
    }

    fn copy(key: &SealKey) -> SealKey {
        SealKey::from_parts(Zeroizing::new(*key.key_bytes()), key.cost(), key.salt())
    }

    /// An agent for `home` serving on a thread.
    fn spawn(home: &Path, key: SealKey, ttl: Duration) -> JoinHandle<AgentExit> {
        let agent = Agent::start(home, key, ttl).unwrap();
        std::thread::spawn(move || agent.serve().unwrap())
    }

    /// Sends raw bytes, half-closes, returns every byte of the reply.
    fn raw(home: &Path, bytes: &[u8]) -> Vec<u8> {
        let mut stream = UnixStream::connect(socket_path(home)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(bytes).unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut reply = Vec::new();
        // The agent may close before reading everything sent (a reset, not an EOF).
        let _ = stream.read_to_end(&mut reply);
        reply
    }

    fn key_request(cost: KdfCost, salt: [u8; SALT_BYTES]) -> Vec<u8> {
        let mut out = request(OP_KEY).to_vec();
        out.extend_from_slice(&Header::cost_bytes(cost));
        out.extend_from_slice(&salt);
        out
    }

    #[test]
    fn answers_key_status_and_quit_in_its_framing() {
        let dir = tempfile::tempdir().unwrap();
        let key = test_key();
        let (bytes, salt) = (*key.key_bytes(), key.salt());
        let agent = spawn(dir.path(), key, Duration::from_secs(60));
        let meta = std::fs::symlink_metadata(dir.path().join(AGENT_DIR)).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o700);

        let reply = raw(dir.path(), &key_request(TEST_KDF, salt));
        assert_eq!(reply.len(), 33);
        assert_eq!(reply[0], REPLY_YES);
        assert_eq!(reply[1..], bytes);

        let reply = raw(dir.path(), &request(OP_STATUS));
        assert_eq!(reply.len(), 9);
        assert_eq!(reply[0], REPLY_YES);
        let left = u64::from_be_bytes(reply[1..].try_into().unwrap());
        assert!((59..=60).contains(&left), "{left}");
        assert!((59..=60).contains(&status(dir.path()).unwrap()));

        assert_eq!(raw(dir.path(), &request(OP_QUIT)), [REPLY_YES]);
        assert_eq!(agent.join().unwrap(), AgentExit::Stopped);
        assert!(!socket_path(dir.path()).exists());
        assert!(matches!(status(dir.path()), Err(AgentError::NotRunning)));
        assert!(matches!(stop(dir.path()), Err(AgentError::NotRunning)));
    }

    #[test]
    fn bad_magic_unknown_ops_and_short_requests_get_no_reply() {
        let dir = tempfile::tempdir().unwrap();
        let key = test_key();
        let salt = key.salt();
        let agent = spawn(dir.path(), key, Duration::from_secs(60));
        let full = key_request(TEST_KDF, salt);
        let mut bad_magic = full.clone();
        bad_magic[3] = b'2';
        let mut unknown = full.clone();
        unknown[4] = b'X';
        for bytes in [
            &bad_magic[..],
            &unknown[..],
            &full[..full.len() - 1],
            &full[..5],
            &full[..2],
            &[],
        ] {
            assert!(raw(dir.path(), bytes).is_empty(), "{bytes:?} answered");
        }
        // A client that sends half a request and stalls is cut off after the timeout, and
        // the agent keeps serving.
        let mut stalled = UnixStream::connect(socket_path(dir.path())).unwrap();
        stalled.write_all(&full[..7]).unwrap();
        let started = Instant::now();
        let mut reply = Vec::new();
        let _ = stalled.read_to_end(&mut reply);
        assert!(reply.is_empty());
        assert!(started.elapsed() < IO_TIMEOUT + Duration::from_secs(1));
        assert_eq!(raw(dir.path(), &full)[0], REPLY_YES);
        stop(dir.path()).unwrap();
        assert_eq!(agent.join().unwrap(), AgentExit::Stopped);
    }

    #[test]
    fn another_salt_or_cost_is_answered_no() {
        let dir = tempfile::tempdir().unwrap();
        let key = test_key();
        let salt = key.salt();
        let agent = spawn(dir.path(), key, Duration::from_secs(60));
        let mut other_salt = salt;
        other_salt[0] ^= 1;
        assert_eq!(
            raw(dir.path(), &key_request(TEST_KDF, other_salt)),
            [REPLY_NO]
        );
        let other_cost = KdfCost {
            passes: 2,
            ..TEST_KDF
        };
        assert_eq!(raw(dir.path(), &key_request(other_cost, salt)), [REPLY_NO]);
        stop(dir.path()).unwrap();
        agent.join().unwrap();
    }

    #[test]
    fn exits_when_its_time_to_live_runs_out() {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let agent = spawn(dir.path(), test_key(), Duration::from_millis(300));
        assert!(status(dir.path()).unwrap() <= 1);
        assert_eq!(agent.join().unwrap(), AgentExit::Expired);
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(2),
            "{took:?}"
        );
        assert!(!socket_path(dir.path()).exists());
        assert!(matches!(status(dir.path()), Err(AgentError::NotRunning)));
    }

    #[test]
    fn a_stale_socket_is_replaced_and_a_live_agent_refuses_a_second() {
        let dir = tempfile::tempdir().unwrap();
        let agent_dir = dir.path().join(AGENT_DIR);
        DirBuilder::new().mode(0o700).create(&agent_dir).unwrap();
        // A killed agent's socket: the file is there, nobody listens.
        drop(UnixListener::bind(socket_path(dir.path())).unwrap());
        assert!(socket_path(dir.path()).exists());
        assert!(matches!(status(dir.path()), Err(AgentError::NotRunning)));
        let agent = spawn(dir.path(), test_key(), Duration::from_secs(60));
        assert!(status(dir.path()).is_ok());
        assert!(matches!(
            Agent::start(dir.path(), test_key(), Duration::from_secs(60)),
            Err(AgentError::AlreadyRunning(_))
        ));
        // Still answering after the refused start.
        assert!(status(dir.path()).is_ok());
        stop(dir.path()).unwrap();
        agent.join().unwrap();
        // A regular file where the socket goes is not removed.
        std::fs::write(socket_path(dir.path()), b"not a socket").unwrap();
        assert!(matches!(
            Agent::start(dir.path(), test_key(), Duration::from_secs(60)),
            Err(AgentError::WrongFileType { .. })
        ));
    }

    #[test]
    fn the_directory_must_be_private_real_and_the_path_short() {
        let dir = tempfile::tempdir().unwrap();
        // A link to a directory is refused, by the agent and by clients.
        let elsewhere = dir.path().join("elsewhere");
        DirBuilder::new().mode(0o700).create(&elsewhere).unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        std::os::unix::fs::symlink(&elsewhere, home.join(AGENT_DIR)).unwrap();
        assert!(matches!(
            Agent::start(&home, test_key(), Duration::from_secs(60)),
            Err(AgentError::Symlink(_))
        ));
        assert!(matches!(status(&home), Err(AgentError::Symlink(_))));
        // An existing directory open to others is narrowed.
        std::fs::remove_file(home.join(AGENT_DIR)).unwrap();
        std::fs::create_dir(home.join(AGENT_DIR)).unwrap();
        std::fs::set_permissions(home.join(AGENT_DIR), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        let agent = spawn(&home, test_key(), Duration::from_secs(60));
        let mode = std::fs::metadata(home.join(AGENT_DIR)).unwrap().mode();
        assert_eq!(mode & 0o777, 0o700);
        stop(&home).unwrap();
        agent.join().unwrap();
        // A client refuses a directory others can enter.
        std::fs::set_permissions(home.join(AGENT_DIR), std::fs::Permissions::from_mode(0o711))
            .unwrap();
        assert!(matches!(status(&home), Err(AgentError::NotPrivate(_))));
        // A path sockaddr_un cannot hold.
        let long = dir.path().join("h".repeat(SUN_PATH_BYTES));
        std::fs::create_dir(&long).unwrap();
        assert!(matches!(
            Agent::start(&long, test_key(), Duration::from_secs(60)),
            Err(AgentError::SocketPathTooLong { .. })
        ));
        assert!(matches!(
            status(&long),
            Err(AgentError::SocketPathTooLong { .. })
        ));
    }

    #[test]
    fn a_wallet_opens_with_the_agents_key_until_it_is_rekeyed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet.db");
        let mut wallet = Wallet::create_sealed(&path, &pass("correct horse"), TEST_KDF).unwrap();
        wallet
            .add_identity(
                "alice",
                zkconsent_store::Role::Patient,
                &zkconsent_circuits::types::SecretKey(ark_bn254::Fr::from(7u64)),
            )
            .unwrap();
        drop(wallet);
        let key = Wallet::open(&path, Some(&pass("correct horse")))
            .unwrap()
            .into_seal_key()
            .unwrap();
        let agent = spawn(dir.path(), key, Duration::from_secs(60));
        let socket = socket_path(dir.path());

        let key = SealKey::from_agent(&socket, &path).unwrap();
        let stale = copy(&key);
        let mut opened = Wallet::open_with_key(&path, key).unwrap();
        assert!(opened.is_sealed());
        assert_eq!(opened.identities().unwrap().len(), 1);

        // A new passphrase: a new salt, which the agent has no key for.
        opened.change_passphrase(&pass("battery staple")).unwrap();
        drop(opened);
        assert!(matches!(
            SealKey::from_agent(&socket, &path),
            Err(AgentError::NoKey)
        ));
        assert!(matches!(
            Wallet::open_with_key(&path, stale),
            Err(WalletError::Seal(SealError::Rekeyed))
        ));
        // A plain file is not asked about.
        let plain = dir.path().join("plain.db");
        drop(Wallet::create(&plain, None).unwrap());
        assert!(matches!(
            SealKey::from_agent(&socket, &plain),
            Err(AgentError::Seal(_))
        ));
        assert!(matches!(
            Wallet::open(&plain, None).unwrap().into_seal_key(),
            Err(WalletError::Locked)
        ));
        stop(dir.path()).unwrap();
        agent.join().unwrap();
    }
}
