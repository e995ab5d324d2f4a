//! ktests of the boot-time tree (`populate` on a private root, so the
//! test owns and frees it): the archive unpacked, devfs on `/dev`, and
//! `/tmp` and `/proc` made when the archive lacks them, kept when it has
//! them.

use super::namei;
use super::vnode::VnodeRef;
use crate::ktest::ktest;
use ferrite_abi::{Errno, mode};

fn look(root: &VnodeRef, path: &[u8]) -> Result<VnodeRef, Errno> {
    namei::lookup_from(root, root, path, true)
}

#[ktest]
fn the_boot_tree_has_dev_tmp_and_proc() -> Result<(), Errno> {
    let mut w = ferrite_cpio::Writer::new();
    w.dir("proc", 0o500).unwrap();
    w.dir("bin", 0o755).unwrap();
    w.file("bin/init", 0o755, b"init").unwrap();
    let archive = w.finish();
    let root = super::ramfs::new(0o755);
    super::populate(&root, Some(&archive));
    assert_eq!(
        look(&root, b"/tmp")?.getattr().st_mode,
        mode::S_IFDIR | 0o1777
    );
    assert_eq!(
        look(&root, b"/proc")?.getattr().st_mode,
        mode::S_IFDIR | 0o500,
        "the archive's /proc is kept"
    );
    let con = look(&root, b"/dev/console")?;
    assert_eq!(con.getattr().st_mode & mode::S_IFMT, mode::S_IFCHR);
    assert!(look(&root, b"/dev/null")?.getattr().st_rdev != 0);
    assert!(look(&root, b"/bin/init")?.is_regular());
    // `..` of /dev climbs out of devfs.
    assert!(super::vnode::same(&look(&root, b"/dev/..")?, &root));
    assert_eq!(
        super::vfs_getcwd::path_of(&root, &look(&root, b"/dev")?)?,
        b"/dev"
    );
    let dev = root.lookup(b"dev")?;
    let rec = super::mount::list()
        .into_iter()
        .find(|m| {
            m.covered
                .as_ref()
                .is_some_and(|c| super::vnode::same(c, &dev))
        })
        .expect("a mount record for /dev");
    assert_eq!(
        (rec.fstype, rec.dev),
        ("devfs", look(&root, b"/dev")?.dev())
    );
    drop(rec);
    super::mount::unmount(&dev)?;
    assert_eq!(look(&root, b"/dev/console").unwrap_err(), Errno::ENOENT);
    Ok(())
}
