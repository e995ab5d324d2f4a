//! BusyBox in the initramfs (`--busybox HOST`): an unmodified static
//! BusyBox binary (Debian's `busybox-static`, which `scripts/setup.sh`
//! fetches) packed as `/bin/busybox`, with a symbolic link
//! `/bin/<applet> -> /bin/busybox` for every applet `busybox --list`
//! prints (BusyBox runs the applet named by `argv[0]`).
//!
//! Ferrite's own programs win: an applet whose path the userland or an
//! `--add` already fills gets no link (so `/bin/ps` stays Ferrite's `ps`),
//! and `/init` is never BusyBox's. All applets go to `/bin`, the one
//! directory on the shell's `PATH` that matters. Debian's BusyBox is built
//! with "prefer applets" (`FEATURE_SH_STANDALONE`): its shell runs an
//! applet of that name without looking at `PATH`. So for every applet a
//! Ferrite program shadows, the packed `/etc/profile` (read by the login
//! shell `init --shell` starts) has an alias to the program's path,
//! e.g. `alias ps=/bin/ps`, which the shell does look up.
//!
//! This module runs the binary on the host (it is a static x86_64 Linux
//! executable) and plans the members; [`crate::initramfs`] packs them.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};
use crate::initramfs::Member;
use crate::multicall;

/// Where the binary goes in the guest.
pub const GUEST_PATH: &str = "/bin/busybox";
/// The login shell's start-up file.
pub const PROFILE_PATH: &str = "/etc/profile";

/// The text of [`PROFILE_PATH`] for the applets `shadowed` by other
/// programs (their guest paths, sorted): one alias per applet (pure).
pub fn profile(shadowed: &[String]) -> String {
    let mut s = String::from(
        "# Written by ferrite-boot --busybox. BusyBox's shell runs its own applet\n\
         # of a name before searching PATH; these Ferrite programs win instead.\n",
    );
    for path in shadowed {
        let name = path.rsplit('/').next().unwrap_or(path);
        s.push_str(&format!("alias {name}={path}\n"));
    }
    s
}

/// The applet names `busybox --list` prints (one per line).
pub fn applets(binary: &Path) -> Result<Vec<String>> {
    let out = Command::new(binary)
        .arg("--list")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            Error::usage(format!(
                "--busybox: cannot run {} --list: {e} (it must be a static x86_64 Linux \
                 BusyBox, e.g. from Debian's busybox-static: scripts/setup.sh fetches it)",
                binary.display()
            ))
        })?;
    if !out.status.success() {
        return Err(Error::usage(format!(
            "--busybox: {} --list failed ({}); is it BusyBox?",
            binary.display(),
            out.status
        )));
    }
    multicall::parse_list(&out.stdout)
        .map_err(|why| Error::usage(format!("--busybox: {} --list: {why}", binary.display())))
}

/// Adds `/bin/busybox` (the host file `binary`) and its applet links to
/// `members`, skipping applets whose path is taken (pure but for reading
/// the file's permissions; `applets` comes from [`applets`]).
pub fn add_members(
    members: &mut BTreeMap<String, Member>,
    binary: &Path,
    applets: &[String],
) -> Result<()> {
    if let Some(first) = members.get(GUEST_PATH) {
        return Err(Error::usage(format!(
            "--busybox {}: {GUEST_PATH} is already packed (from {first:?})",
            binary.display()
        )));
    }
    let meta = fs::metadata(binary).map_err(|e| {
        Error::usage(format!(
            "--busybox: cannot read {}: {e}; run scripts/setup.sh to fetch BusyBox",
            binary.display()
        ))
    })?;
    if !meta.is_file() {
        return Err(Error::usage(format!(
            "--busybox: {} is not a regular file",
            binary.display()
        )));
    }
    members.insert(
        GUEST_PATH.to_string(),
        Member::File {
            host: binary.to_path_buf(),
            perm: meta.permissions().mode() & 0o7777,
        },
    );
    let mut shadowed = Vec::new();
    for applet in applets {
        let guest = format!("/bin/{applet}");
        if members.contains_key(&guest) {
            if applet != "busybox" {
                shadowed.push(guest);
            }
            continue;
        }
        members.insert(
            guest,
            Member::Link {
                target: GUEST_PATH.to_string(),
                binary: binary.to_path_buf(),
            },
        );
    }
    shadowed.sort();
    if !members.contains_key(PROFILE_PATH) {
        members.insert(
            PROFILE_PATH.to_string(),
            Member::Generated {
                bytes: profile(&shadowed).into_bytes(),
                perm: 0o644,
                what: format!("the shell profile for {}", binary.display()),
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn ferrite_programs_win_over_applets() {
        let mut members = BTreeMap::new();
        let ps = Member::Link {
            target: "/bin/ftools".into(),
            binary: PathBuf::from("ftools"),
        };
        members.insert("/bin/ps".to_string(), ps.clone());
        // The test binary itself stands in for BusyBox (any regular file).
        let me = std::env::current_exe().unwrap();
        let applets: Vec<String> = ["sh", "ps", "ls", "busybox"].map(String::from).to_vec();
        add_members(&mut members, &me, &applets).unwrap();
        assert_eq!(members["/bin/ps"], ps, "Ferrite's ps is kept");
        for a in ["/bin/sh", "/bin/ls"] {
            assert_eq!(
                members[a],
                Member::Link {
                    target: GUEST_PATH.into(),
                    binary: me.clone()
                },
                "{a}"
            );
        }
        // The `busybox` applet is the binary itself, not a link to it.
        assert!(matches!(members[GUEST_PATH], Member::File { .. }));
        // The shell is told to prefer Ferrite's ps over its applet.
        match &members[PROFILE_PATH] {
            Member::Generated { bytes, perm, .. } => {
                assert_eq!(*perm, 0o644);
                let text = String::from_utf8(bytes.clone()).unwrap();
                let aliases: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
                assert_eq!(aliases, ["alias ps=/bin/ps"]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(members.len(), 5);
        // Packing it twice is an error.
        assert!(add_members(&mut members, &me, &applets).is_err());
    }

    #[test]
    fn a_missing_binary_is_a_usage_error() {
        let mut members = BTreeMap::new();
        let e = add_members(&mut members, Path::new("/no/such/busybox"), &[]).unwrap_err();
        assert!(e.to_string().contains("setup.sh"), "{e}");
    }
}
