//! What the tests that run the built binary share: the example stack, a
//! project in a temporary folder, and running cdkfix in it.
// Each test crate uses a part of this.
#![allow(dead_code)]

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

/// A stack with one bucket that has several findings.
pub const BUCKET: &str = "from aws_cdk import Stack, RemovalPolicy, Tags, aws_s3 as s3\n\n\nclass S(Stack):\n    def __init__(self, scope, cid):\n        super().__init__(scope, cid)\n        Tags.of(self).add(\"Environment\", \"dev\")\n        s3.Bucket(self, \"Data\", enforce_ssl=True, encryption=s3.BucketEncryption.S3_MANAGED, server_access_logs_prefix=\"logs/\", removal_policy=RemovalPolicy.DESTROY)\n";
/// The same stack with nothing to report.
pub const CLEAN: &str = "from aws_cdk import Stack, Tags, aws_s3 as s3\n\n\nclass S(Stack):\n    def __init__(self, scope, cid):\n        super().__init__(scope, cid)\n        Tags.of(self).add(\"Environment\", \"dev\")\n        s3.Bucket(self, \"Data\", enforce_ssl=True, encryption=s3.BucketEncryption.S3_MANAGED, server_access_logs_prefix=\"logs/\", block_public_access=s3.BlockPublicAccess.BLOCK_ALL)\n";

/// Run cdkfix in `dir`, without forced colour or the CI variable of the
/// environment the tests run in.
pub fn cdkfix(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cdkfix"))
        .current_dir(dir)
        .args(args)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CI")
        .output()
        .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A temporary folder holding `files` (name, text).
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    dir
}

pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = root.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}
