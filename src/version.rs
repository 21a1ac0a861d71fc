//! The aws-cdk-lib version a project pins, so fixes can use only the API that
//! version has.

use std::fmt;
use std::path::Path;

/// The aws-cdk-lib version the tests pin: assumed when a project pins none.
pub const ASSUMED_CDK: Version = Version(2, 275, 0);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let mut parts = s.trim().split('.').map(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        });
        let major = parts.next()??;
        let minor = parts.next().flatten().unwrap_or(0);
        let patch = parts.next().flatten().unwrap_or(0);
        Some(Version(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// Files that pin a project's Python dependencies.
const PIN_FILES: &[&str] = &[
    "requirements.txt",
    "requirements-dev.txt",
    "pyproject.toml",
    "Pipfile",
    "setup.py",
];

/// The aws-cdk-lib version pinned (`==`, `~=`, `>=`, or a Pipfile/pyproject
/// string) in `text`, if any.
pub fn pinned_in(text: &str) -> Option<Version> {
    for (at, _) in text.match_indices("aws-cdk-lib") {
        let rest =
            text[at + "aws-cdk-lib".len()..].trim_start_matches(['"', '\'', ' ', '\t', '=', ':']);
        let rest = rest.trim_start_matches(['=', '~', '>', '^', ' ', '"', '\'']);
        if let Some(v) = Version::parse(
            rest.split(|c: char| !(c.is_ascii_digit() || c == '.'))
                .next()?,
        ) && v.0 == 2
        {
            return Some(v);
        }
    }
    None
}

/// The pin found in the folder `root` (or the folder of a file `root`) and the
/// folders above it, nearest first.
pub fn project_pin(root: &Path) -> Option<Version> {
    let start = std::path::absolute(root).ok()?;
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        for name in PIN_FILES {
            if let Ok(text) = std::fs::read_to_string(d.join(name))
                && let Some(v) = pinned_in(&text)
            {
                return Some(v);
            }
        }
        dir = d.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_pins_in_every_format() {
        assert_eq!(
            pinned_in("aws-cdk-lib==2.100.0\nconstructs>=10\n"),
            Some(Version(2, 100, 0))
        );
        assert_eq!(pinned_in("aws-cdk-lib>=2.80,<3\n"), Some(Version(2, 80, 0)));
        assert_eq!(
            pinned_in("[packages]\naws-cdk-lib = \"==2.150.1\"\n"),
            Some(Version(2, 150, 1))
        );
        assert_eq!(
            pinned_in("dependencies = [\"aws-cdk-lib~=2.120\"]\n"),
            Some(Version(2, 120, 0))
        );
        assert_eq!(
            pinned_in("install_requires=['aws-cdk-lib==2.99.1']"),
            Some(Version(2, 99, 1))
        );
        assert_eq!(pinned_in("aws-cdk.core==1.200.0\n"), None);
        assert!(Version(2, 99, 1) < Version(2, 100, 0));
    }
}
