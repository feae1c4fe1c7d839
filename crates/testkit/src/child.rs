//! Helper processes that die with the test process: a test binary that panics or is killed
//! leaves no server behind (PR_SET_PDEATHSIG, set from a thread that lives as long as the
//! process, since the signal follows the thread that spawned the child).

#![allow(unsafe_code)] // prctl in the child before exec: test-only, as in `pg`.

use std::os::unix::process::CommandExt;
use std::process::Command;

/// The signal a tied child gets when the test process ends.
#[derive(Debug, Clone, Copy)]
pub enum Death {
    /// SIGKILL.
    Kill,
    /// SIGQUIT (PostgreSQL's immediate shutdown).
    Quit,
}

/// Starts `command` as a child that gets the `death` signal when this process ends; returns
/// its pid.
pub fn spawn_tied(mut command: Command, death: Death) -> std::io::Result<u32> {
    let signal = match death {
        Death::Kill => libc::SIGKILL,
        Death::Quit => libc::SIGQUIT,
    };
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, signal) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        match command.spawn() {
            Ok(mut child) => {
                let _ = sender.send(Ok(child.id()));
                let _ = child.wait();
                loop {
                    std::thread::park();
                }
            }
            Err(error) => {
                let _ = sender.send(Err(error));
            }
        }
    });
    receiver
        .recv()
        .unwrap_or_else(|_| Err(std::io::Error::other("the spawning thread ended")))
}
