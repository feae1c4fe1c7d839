//! A throwaway PostgreSQL cluster, one per test process, on a Unix socket in a temp dir.
//!
//! `initdb` refuses to run as root, and CI runs as root, so the cluster runs
//! as an unprivileged user (`postgres` if it exists, else `nobody`) when the
//! tests run as root. The server is this process's child: it gets SIGQUIT
//! when the process ends (PR_SET_PDEATHSIG, from a thread that lives as long
//! as the process), and an exit handler stops it and removes its files.
//! Each test asks for a fresh database with [`fresh_database`].

#![allow(unsafe_code)] // setuid details, prctl and atexit: test-only, with `child` the only unsafe code in the repository.

use std::ffi::CString;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sqlx::Connection;

struct Cluster {
    root: PathBuf,
    socket_dir: PathBuf,
    pid: i32,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static NEXT_DATABASE: AtomicU32 = AtomicU32::new(0);

fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CASEBOOK_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| {
                    Some((
                        entry.file_name().to_str()?.parse().ok()?,
                        entry.path().join("bin"),
                    ))
                })
                .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).expect(
        "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install Debian's postgresql package \
         (.ci/run does) or set CASEBOOK_PG_BIN",
    )
}

/// The uid and gid to run the server as: ours, or an unprivileged user's when we are root.
fn server_user() -> Option<(u32, u32)> {
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    for name in ["postgres", "nobody"] {
        let cname = CString::new(name).expect("user names have no NUL");
        let entry = unsafe { libc::getpwnam(cname.as_ptr()) };
        if !entry.is_null() {
            let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
            return Some((uid, gid));
        }
    }
    panic!("running as root, but neither the postgres nor the nobody user exists to run the test cluster");
}

fn prepare_dir(path: &Path, user: Option<(u32, u32)>) {
    std::fs::create_dir_all(path).expect("the temp dir is writable");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
        .expect("chmod of a fresh dir");
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown of a fresh dir as root");
    }
}

fn command(bin: &Path, program: &str, user: Option<(u32, u32)>) -> Command {
    let mut command = Command::new(bin.join(program));
    if let Some((uid, gid)) = user {
        // std drops root's supplementary groups itself before it changes the uid.
        command.uid(uid).gid(gid).env("HOME", "/tmp");
    }
    command
}

extern "C" fn stop_cluster() {
    if let Some(cluster) = CLUSTER.get() {
        unsafe {
            libc::kill(cluster.pid, libc::SIGQUIT);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && unsafe { libc::kill(cluster.pid, 0) } == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_dir_all(&cluster.root);
    }
}

fn start() -> Cluster {
    let bin = bin_dir();
    let user = server_user();
    let root = tempfile::Builder::new()
        .prefix("casebook-pg-")
        .tempdir()
        .expect("the system temp dir is writable")
        .keep();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755))
        .expect("chmod of a fresh dir");
    let data = root.join("data");
    let socket_dir = root.join("socket");
    prepare_dir(&data, user);
    prepare_dir(&socket_dir, user);
    std::fs::set_permissions(&socket_dir, std::fs::Permissions::from_mode(0o777))
        .expect("chmod of a fresh dir");

    let output = command(&bin, "initdb", user)
        .args(["-D"])
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("initdb starts");
    assert!(
        output.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let log = std::fs::File::create(root.join("server.log")).expect("the temp dir is writable");
    // The server dies with the process (PR_SET_PDEATHSIG, SIGQUIT: postgres's immediate shutdown).
    let mut server = command(&bin, "postgres", user);
    server
        .arg("-D")
        .arg(&data)
        .arg("-k")
        .arg(&socket_dir)
        .args([
            "-c",
            "listen_addresses=",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
        ])
        .args([
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=300",
            "-c",
            "shared_buffers=64MB",
        ])
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("a log file handle"))
        .stderr(log);
    let pid = crate::child::spawn_tied(server, crate::child::Death::Quit).expect("postgres starts");
    Cluster {
        root,
        socket_dir,
        pid: i32::try_from(pid).expect("pids fit in i32"),
    }
}

fn admin_url(socket_dir: &Path) -> String {
    format!(
        "postgres://postgres@localhost/postgres?host={}",
        socket_dir.display()
    )
}

/// A new, empty database in this process's cluster (started on first use); returns its url.
pub async fn fresh_database() -> String {
    let mut started_here = false;
    let cluster = CLUSTER.get_or_init(|| {
        started_here = true;
        start()
    });
    if started_here {
        unsafe {
            libc::atexit(stop_cluster);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut connection = loop {
        match sqlx::PgConnection::connect(&admin_url(&cluster.socket_dir)).await {
            Ok(connection) => break connection,
            Err(error) => {
                let log =
                    std::fs::read_to_string(cluster.root.join("server.log")).unwrap_or_default();
                assert!(
                    Instant::now() < deadline,
                    "the test cluster did not accept connections: {error}\n{log}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let name = format!(
        "casebook_test_{}_{}",
        std::process::id(),
        NEXT_DATABASE.fetch_add(1, Ordering::SeqCst)
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await
        .expect("CREATE DATABASE in the test cluster");
    let _ = connection.close().await;
    format!(
        "postgres://postgres@localhost/{name}?host={}",
        cluster.socket_dir.display()
    )
}
