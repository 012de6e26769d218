//! `--python all`: every CPython this machine has — PATH's `python3`, `python3.N` and
//! `python3.Nt`, pyenv's versions, and the free-threaded builds of
//! `scripts/free-threaded-python.sh` — each once (by real path), in version order, and each
//! free-threaded build a second time with its GIL forced on (`+gil`), so that one binary is
//! measured with the GIL off and on.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use super::interpreter::{FORCE_GIL_SUFFIX, Interpreter, interpreter};

/// The `--python` entry that asks for every interpreter found.
pub const ALL: &str = "all";

/// Whether `requested` asks for discovery anywhere in the list.
pub fn asks_for_all(requested: &[PathBuf]) -> bool {
    requested.iter().any(|p| p.as_os_str() == ALL)
}

/// `requested` with `all` replaced by the interpreters found (in version order, free-threaded
/// builds followed by their `+gil` twin), and the one-line reason for each found one that is
/// skipped (too old, not Python 3). Entries other than `all` are kept as given.
pub fn expand(requested: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    if !asks_for_all(requested) {
        return (requested.to_vec(), Vec::new());
    }
    let (found, skipped) = probe_all(&candidates(&search_places()));
    let mut out = Vec::new();
    for p in requested {
        if p.as_os_str() == ALL {
            out.extend(found.iter().cloned());
        } else {
            out.push(p.clone());
        }
    }
    (out, skipped)
}

/// The places searched, in order: PATH (without pyenv's shims, which only redirect to its
/// versions), pyenv's versions, the free-threaded builds' folder.
#[derive(Debug, Clone, Default)]
pub struct SearchPlaces {
    pub path_dirs: Vec<PathBuf>,
    pub version_roots: Vec<PathBuf>,
}

pub fn search_places() -> SearchPlaces {
    let pyenv = pyenv_root();
    let shims = pyenv.as_ref().map(|r| r.join("shims"));
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|d| Some(d) != shims.as_ref())
        .collect();
    let mut version_roots = Vec::new();
    if let Some(root) = pyenv {
        version_roots.push(root.join("versions"));
    }
    version_roots.push(free_threaded_builds_dir());
    SearchPlaces {
        path_dirs,
        version_roots,
    }
}

/// Where `scripts/free-threaded-python.sh` installs: `${XDG_CACHE_HOME:-$HOME/.cache}/concbench/python`.
pub fn free_threaded_builds_dir() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("concbench").join("python")
}

/// `$PYENV_ROOT`, else `pyenv root` when pyenv is on PATH, else `~/.pyenv` when it exists.
fn pyenv_root() -> Option<PathBuf> {
    if let Some(r) = std::env::var_os("PYENV_ROOT").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(r));
    }
    let asked = Command::new("pyenv")
        .arg("root")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    asked.or_else(|| {
        let home = PathBuf::from(std::env::var_os("HOME")?).join(".pyenv");
        home.is_dir().then_some(home)
    })
}

/// A CPython executable's name: `python3`, `python3.12`, `python3.13t` (and `python` inside a
/// version folder, for versions without `python3`).
fn is_python_name(name: &str, in_version_folder: bool) -> bool {
    if in_version_folder && name == "python" {
        return true;
    }
    let Some(rest) = name.strip_prefix("python3") else {
        return false;
    };
    let rest = rest.strip_suffix('t').unwrap_or(rest);
    rest.is_empty()
        || rest
            .strip_prefix('.')
            .is_some_and(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The interpreters' files in `places`, each real path once, in the order found. A version
/// folder gives one: its `python3` (or `python3.Nt`, or `python`).
pub fn candidates(places: &SearchPlaces) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut add = |p: PathBuf| {
        if is_executable(&p) && seen.insert(std::fs::canonicalize(&p).unwrap_or(p.clone())) {
            out.push(p);
        }
    };
    for dir in &places.path_dirs {
        let mut names: Vec<String> = read_names(dir)
            .into_iter()
            .filter(|n| is_python_name(n, false))
            .collect();
        names.sort();
        names.into_iter().for_each(|n| add(dir.join(n)));
    }
    for root in &places.version_roots {
        let mut versions = read_names(root);
        versions.sort();
        for v in versions {
            let bin = root.join(v).join("bin");
            let mut names: Vec<String> = read_names(&bin)
                .into_iter()
                .filter(|n| is_python_name(n, true))
                .collect();
            // The most specific name first: python3.13t, then python3, then python.
            names.sort_by_key(|n| (std::cmp::Reverse(n.len()), n.clone()));
            if let Some(n) = names.into_iter().find(|n| is_executable(&bin.join(n))) {
                add(bin.join(n));
            }
        }
    }
    out
}

fn read_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Probe every candidate: the usable ones in version order (a free-threaded build after the
/// GIL build of its version, then its `+gil` twin), each interpreter once by its own
/// `sys.executable`; the others' one-line reasons.
fn probe_all(candidates: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let mut usable: Vec<(PathBuf, Arc<Interpreter>)> = Vec::new();
    let mut skipped = Vec::new();
    for c in candidates {
        match interpreter(Some(c)) {
            Ok(i) => {
                let exe = std::fs::canonicalize(&i.exe).unwrap_or(i.exe.clone());
                let known = usable
                    .iter()
                    .any(|(_, u)| std::fs::canonicalize(&u.exe).unwrap_or(u.exe.clone()) == exe);
                if !known {
                    usable.push((c.clone(), i));
                }
            }
            Err(reason) => skipped.push(reason),
        }
    }
    usable.sort_by_key(|(_, i)| (version_key(&i.info.version), i.info.free_threaded_build));
    let mut out = Vec::new();
    for (path, i) in usable {
        let twin = i
            .info
            .free_threaded_build
            .then(|| PathBuf::from(format!("{}{FORCE_GIL_SUFFIX}", path.display())));
        out.push(path);
        out.extend(twin);
    }
    (out, skipped)
}

/// `3.13.5` -> (3, 13, 5), for ordering.
fn version_key(version: &str) -> Vec<u32> {
    version
        .split('.')
        .map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or(0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_interpreters() {
        for n in ["python3", "python3.12", "python3.13t"] {
            assert!(is_python_name(n, false), "{n}");
        }
        for n in [
            "python",
            "python3-config",
            "python3.12-config",
            "python3.",
            "python2.7",
            "pythonw",
        ] {
            assert!(!is_python_name(n, false), "{n}");
        }
        assert!(is_python_name("python", true));
    }

    #[test]
    fn versions_order_numerically() {
        assert!(version_key("3.9.18") < version_key("3.10.13"));
        assert!(version_key("3.13.0") < version_key("3.13.5"));
    }

    /// A PATH folder and a pyenv-like versions folder naming the same file twice (a symlink)
    /// give it once; a version folder gives its most specific name; non-executables are left out.
    #[test]
    fn candidates_once_by_real_path() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let root = std::env::temp_dir().join(format!("concbench-discover-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let bin = root.join("versions/3.13.5t/bin");
        let path_dir = root.join("path");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&path_dir).unwrap();
        let exe = bin.join("python3.13t");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        symlink(&exe, bin.join("python3")).unwrap();
        symlink(&exe, path_dir.join("python3.13t")).unwrap();
        std::fs::write(path_dir.join("python3.12"), "not executable").unwrap();
        let found = candidates(&SearchPlaces {
            path_dirs: vec![path_dir.clone()],
            version_roots: vec![root.join("versions"), root.join("missing")],
        });
        assert_eq!(found, vec![path_dir.join("python3.13t")]);
        let found = candidates(&SearchPlaces {
            path_dirs: vec![],
            version_roots: vec![root.join("versions")],
        });
        assert_eq!(found, vec![exe]);
        let _ = std::fs::remove_dir_all(&root);
    }
}
