//! What the window tests need from the machine, and COMMON.md's rule for when it is missing: a
//! failure under `HANGAR_TEST_REQUIRE_ALL=1`, else a loud skip.

#![allow(dead_code)]

use super::{hosts, session};

/// `true` (after saying so) when `why` names something missing and the test should return.
pub fn missing(why: Option<String>) -> bool {
    let Some(why) = why else {
        return false;
    };
    if std::env::var("HANGAR_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1") {
        panic!("required service missing (HANGAR_TEST_REQUIRE_ALL=1): {why}");
    }
    eprintln!("SKIPPING: {why} (set HANGAR_TEST_REQUIRE_ALL=1 to make this a failure)");
    true
}

/// The desktop session and the private test-driver daemons.
pub fn session_and_hosts_missing() -> bool {
    missing(session::tools_missing()) || missing(hosts::daemon_tools_missing(false))
}

/// Whether xdotool (the X pointer and keyboard of the tests that click and type) is missing.
pub fn xdotool_missing() -> bool {
    missing(
        (!std::path::Path::new("/usr/bin/xdotool").exists())
            .then(|| "xdotool is not installed".to_owned()),
    )
}
