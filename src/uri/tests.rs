//! Unit tests of URI building, checking, reading back and naming.

use super::*;

fn form(
    hypervisor: Hypervisor,
    transport: Transport,
    user: &str,
    host: &str,
    port: &str,
) -> ConnectionForm {
    ConnectionForm {
        hypervisor,
        transport,
        user: user.into(),
        host: host.into(),
        port: port.into(),
        ..ConnectionForm::default()
    }
}

fn custom(uri: &str) -> ConnectionForm {
    ConnectionForm {
        hypervisor: Hypervisor::Custom,
        custom_uri: uri.into(),
        ..ConnectionForm::default()
    }
}

#[test]
fn local_hypervisors_build_virt_manager_uris() {
    let cases = [
        (Hypervisor::QemuSystem, "qemu:///system"),
        (Hypervisor::QemuSession, "qemu:///session"),
        (Hypervisor::Xen, "xen:///"),
        (Hypervisor::Lxc, "lxc:///"),
        (Hypervisor::VirtualBox, "vbox:///session"),
        (Hypervisor::Test, "test:///default"),
    ];
    for (hypervisor, expected) in cases {
        assert_eq!(
            build(&form(hypervisor, Transport::Local, "", "", "")).as_deref(),
            Ok(expected)
        );
    }
}

#[test]
fn local_transport_ignores_remote_fields_the_form_hides() {
    let built = build(&form(
        Hypervisor::QemuSystem,
        Transport::Local,
        "root",
        "h",
        "x",
    ));
    assert_eq!(built.as_deref(), Ok("qemu:///system"));
}

#[test]
fn remote_transports_build_user_host_and_port() {
    let cases = [
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "root", "host", ""),
            "qemu+ssh://root@host/system",
        ),
        (
            form(
                Hypervisor::QemuSession,
                Transport::Ssh,
                "ann",
                "lab.example.org",
                "2222",
            ),
            "qemu+ssh://ann@lab.example.org:2222/session",
        ),
        (
            form(Hypervisor::Xen, Transport::Tls, "", "h", "16514"),
            "xen+tls://h:16514/",
        ),
        (
            form(Hypervisor::Lxc, Transport::Tcp, "", "10.0.0.7", ""),
            "lxc+tcp://10.0.0.7/",
        ),
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "", "::1", ""),
            "qemu+ssh://[::1]/system",
        ),
        (
            form(
                Hypervisor::QemuSystem,
                Transport::Ssh,
                "",
                "[fe80::2]",
                "22",
            ),
            "qemu+ssh://[fe80::2]:22/system",
        ),
        (
            form(Hypervisor::VirtualBox, Transport::Ssh, "", "box", ""),
            "vbox+ssh://box/session",
        ),
        (
            form(
                Hypervisor::QemuSystem,
                Transport::Ssh,
                " root ",
                " host ",
                " 22 ",
            ),
            "qemu+ssh://root@host:22/system",
        ),
    ];
    for (form, expected) in cases {
        assert_eq!(build(&form).as_deref(), Ok(expected), "{form:?}");
    }
}

#[test]
fn esx_and_hyperv_use_their_own_schemes_and_certificate_option() {
    let mut esx = form(Hypervisor::Esx, Transport::Https, "root", "esx1", "");
    assert_eq!(build(&esx).as_deref(), Ok("esx://root@esx1/"));
    esx.verify_certificate = false;
    assert_eq!(build(&esx).as_deref(), Ok("esx://root@esx1/?no_verify=1"));

    let mut hyperv = form(
        Hypervisor::HyperV,
        Transport::Https,
        "CORP\\admin",
        "hv.corp",
        "5986",
    );
    hyperv.verify_certificate = false;
    assert_eq!(
        build(&hyperv).as_deref(),
        Ok("hyperv://CORP%5Cadmin@hv.corp:5986/?no_verify=1")
    );
    // The certificate switch means nothing to other hypervisors.
    let mut qemu = form(Hypervisor::QemuSystem, Transport::Tls, "", "h", "");
    qemu.verify_certificate = false;
    assert_eq!(build(&qemu).as_deref(), Ok("qemu+tls://h/system"));
}

#[test]
fn transports_follow_the_hypervisor() {
    assert_eq!(Hypervisor::Esx.transports(), [Transport::Https]);
    assert_eq!(Hypervisor::HyperV.transports(), [Transport::Https]);
    assert!(
        !Hypervisor::QemuSession
            .transports()
            .contains(&Transport::Tls)
    );
    assert!(
        !Hypervisor::QemuSession
            .transports()
            .contains(&Transport::Tcp)
    );
    assert_eq!(Hypervisor::Test.transports(), [Transport::Local]);
    for hypervisor in Hypervisor::ALL {
        for transport in hypervisor.transports() {
            let form = form(hypervisor, *transport, "", "host", "");
            assert!(build(&form).is_ok(), "{form:?} should build");
        }
    }
    for (hypervisor, transport) in [
        (Hypervisor::QemuSession, Transport::Tls),
        (Hypervisor::QemuSession, Transport::Tcp),
        (Hypervisor::Esx, Transport::Ssh),
        (Hypervisor::HyperV, Transport::Local),
        (Hypervisor::Test, Transport::Ssh),
        (Hypervisor::QemuSystem, Transport::Https),
    ] {
        assert!(
            matches!(
                build(&form(hypervisor, transport, "", "host", "")),
                Err(UriError::TransportNotSupported { .. })
            ),
            "{hypervisor:?} over {transport:?}"
        );
    }
}

#[test]
fn form_errors_name_the_reason() {
    let cases = [
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "", "", ""),
            UriError::MissingHost,
        ),
        (
            form(Hypervisor::Esx, Transport::Https, "", "  ", ""),
            UriError::MissingHost,
        ),
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "root", "", ""),
            UriError::UserWithoutHost,
        ),
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "", "my host", ""),
            UriError::ContainsSpaces(UriPart::Host),
        ),
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "jo doe", "h", ""),
            UriError::ContainsSpaces(UriPart::User),
        ),
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "", "h", "0"),
            UriError::BadPort("0".into()),
        ),
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "", "h", "65536"),
            UriError::BadPort("65536".into()),
        ),
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "", "h", "ssh"),
            UriError::BadPort("ssh".into()),
        ),
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "", "h", "+22"),
            UriError::BadPort("+22".into()),
        ),
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "", "h:22", ""),
            UriError::HostWithPort,
        ),
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "", "h/x", ""),
            UriError::BadHost("h/x".into()),
        ),
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "", "hôte", ""),
            UriError::BadHost("hôte".into()),
        ),
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "", "-h", ""),
            UriError::BadHost("-h".into()),
        ),
        (
            form(Hypervisor::QemuSystem, Transport::Ssh, "", "[nope]", ""),
            UriError::BadHost("[nope]".into()),
        ),
        (custom(""), UriError::Empty),
        (custom("   "), UriError::Empty),
    ];
    for (form, expected) in cases {
        assert_eq!(build(&form), Err(expected), "{form:?}");
    }
}

#[test]
fn custom_uri_is_trimmed_and_checked() {
    assert_eq!(
        build(&custom("  qemu+ssh://root@host/system\n")).as_deref(),
        Ok("qemu+ssh://root@host/system")
    );
    assert_eq!(
        build(&custom("qemu:///nope")),
        Err(UriError::QemuPath("/nope".into()))
    );
}

#[test]
fn typical_uris_validate() {
    let ok = [
        "qemu:///system",
        "qemu:///session",
        "qemu+ssh://root@host/system",
        "qemu+ssh://root@host:2222/system?keyfile=/root/.ssh/id_ed25519&no_tty=1",
        "qemu+tls://host.example.org/system",
        "qemu://host/system",
        "qemu+unix:///system",
        "qemu+ext:///system?command=/opt/bin/tunnel",
        "qemu+libssh2://u@h/system?known_hosts=/tmp/kh",
        "qemu:///embed?root=/var/tmp/vm",
        "esx://host/?no_verify=1",
        "esx://root@10.1.1.1:443/?no_verify=1&transport=https",
        "vpx://vcenter/dc1/cluster1/esx1?no_verify=1",
        "hyperv://administrator@hv/?transport=http",
        "test:///default",
        "test:///work/shared/data/demo/lab.xml",
        "xen+tls://h:16514/",
        "xen:///",
        "xen:///system",
        "lxc:///",
        "vbox:///session",
        "bhyve:///system",
        "qemu+ssh://[2001:db8::1]:22/system",
        "QEMU:///system",
        "qemu+ssh://CORP%5Cjo@h/system",
    ];
    for uri in ok {
        assert!(validate(uri).is_ok(), "{uri}: {:?}", validate(uri));
    }
}

#[test]
fn parsed_parts_are_decoded() {
    let parsed = validate("qemu+ssh://CORP%5Cjo@[2001:db8::1]:2222/system?no_tty=1&keyfile=/k")
        .expect("valid");
    assert_eq!(parsed.driver, "qemu");
    assert_eq!(parsed.transport.as_deref(), Some("ssh"));
    assert_eq!(parsed.user.as_deref(), Some("CORP\\jo"));
    assert_eq!(parsed.host.as_deref(), Some("2001:db8::1"));
    assert_eq!(parsed.port, Some(2222));
    assert_eq!(parsed.path, "/system");
    assert_eq!(parsed.param("keyfile"), Some("/k"));
    assert_eq!(parsed.param("no_tty"), Some("1"));
    assert!(parsed.is_remote());
    let local = validate("qemu:///system").expect("valid");
    assert!(!local.is_remote());
    assert_eq!((local.user, local.host, local.port), (None, None, None));
}

#[test]
fn in_process_drivers_are_told_from_daemon_ones() {
    for uri in [
        "test:///default",
        "test:///tmp/fleet.xml",
        "esx://esx1/",
        "hyperv://hv1/",
    ] {
        assert!(validate(uri).expect(uri).runs_in_process(), "{uri}");
    }
    for uri in [
        "qemu:///system",
        "test+unix:///tmp/fleet.xml",
        "test://host1/default",
        "vbox:///session",
        "qemu+ssh://host1/system",
    ] {
        assert!(!validate(uri).expect(uri).runs_in_process(), "{uri}");
    }
}

#[test]
fn invalid_uris_say_why() {
    let cases = [
        ("", UriError::Empty),
        ("qemu:///sys tem", UriError::ContainsSpaces(UriPart::Uri)),
        (" qemu:///system", UriError::ContainsSpaces(UriPart::Uri)),
        ("qemu:///system#top", UriError::UnexpectedCharacter('#')),
        ("qemu:///systém", UriError::UnexpectedCharacter('é')),
        ("qemu:/system", UriError::MissingSeparator),
        ("host.example.org", UriError::MissingSeparator),
        ("://host/system", UriError::MissingSeparator),
        ("kvm:///system", UriError::UnknownDriver("kvm".into())),
        ("http://host/", UriError::UnknownDriver("http".into())),
        (
            "qemu+ftp://h/system",
            UriError::UnknownTransport("ftp".into()),
        ),
        (
            "qemu+://h/system",
            UriError::UnknownTransport(String::new()),
        ),
        ("qemu+ssh:///system", UriError::MissingHost),
        ("xen+tls:///", UriError::MissingHost),
        ("esx:///", UriError::MissingHost),
        ("hyperv://", UriError::MissingHost),
        (
            "esx+ssh://h/",
            UriError::TransportNotSupported {
                hypervisor: "esx".into(),
                transport: "ssh".into(),
            },
        ),
        ("qemu+ssh://root@/system", UriError::UserWithoutHost),
        ("qemu://:16514/system", UriError::PortWithoutHost),
        ("qemu+ssh://h:0/system", UriError::BadPort("0".into())),
        (
            "qemu+ssh://h:99999/system",
            UriError::BadPort("99999".into()),
        ),
        ("qemu+ssh://h:/system", UriError::BadPort(String::new())),
        ("qemu+ssh://h:ssh/system", UriError::BadPort("ssh".into())),
        ("qemu+ssh://2001:db8::1/system", UriError::UnbracketedIpv6),
        (
            "qemu+ssh://[2001:db8::zz]/system",
            UriError::BadHost("[2001:db8::zz]".into()),
        ),
        ("qemu+ssh://h_st!/system", UriError::BadHost("h_st!".into())),
        ("qemu+ssh://@h/system", UriError::BadUser(String::new())),
        (
            "qemu+ssh://root:secret@h/system",
            UriError::BadUser("root:secret".into()),
        ),
        (
            "qemu+ssh://r%zzt@h/system",
            UriError::BadEscape("%zz".into()),
        ),
        ("qemu+ssh://r%FF@h/system", UriError::BadUser("r%FF".into())),
        ("test:///tmp/100%.xml", UriError::BadEscape("%.x".into())),
        ("qemu:///", UriError::QemuPath("/".into())),
        ("qemu+ssh://h", UriError::QemuPath(String::new())),
        ("qemu:///System", UriError::QemuPath("/System".into())),
        ("vbox:///system", UriError::VirtualBoxPath("/system".into())),
        ("test:///", UriError::TestPath("/".into())),
        ("test://", UriError::TestPath(String::new())),
        (
            "esx://h/?no_verify",
            UriError::BadParameter("no_verify".into()),
        ),
        ("esx://h/?=1", UriError::BadParameter("=1".into())),
    ];
    for (uri, expected) in cases {
        assert_eq!(validate(uri), Err(expected), "{uri}");
    }
}

#[test]
fn every_error_has_a_sentence() {
    let errors = [
        UriError::Empty,
        UriError::ContainsSpaces(UriPart::Uri),
        UriError::ContainsSpaces(UriPart::User),
        UriError::ContainsSpaces(UriPart::Host),
        UriError::UnexpectedCharacter('#'),
        UriError::MissingSeparator,
        UriError::UnknownDriver("kvm".into()),
        UriError::UnknownTransport("ftp".into()),
        UriError::TransportNotSupported {
            hypervisor: "ESX".into(),
            transport: "SSH".into(),
        },
        UriError::MissingHost,
        UriError::BadHost("a b".into()),
        UriError::HostWithPort,
        UriError::UnbracketedIpv6,
        UriError::BadPort("x".into()),
        UriError::BadUser("x".into()),
        UriError::UserWithoutHost,
        UriError::PortWithoutHost,
        UriError::BadEscape("%zz".into()),
        UriError::QemuPath("/x".into()),
        UriError::QemuPath(String::new()),
        UriError::VirtualBoxPath("/x".into()),
        UriError::TestPath("/".into()),
        UriError::BadParameter("x".into()),
    ];
    for error in errors {
        let text = error.to_string();
        assert!(
            text.len() > 15 && !text.contains('{'),
            "{error:?} reads “{text}”"
        );
    }
    assert_eq!(
        UriError::UnknownDriver("kvm".into()).to_string(),
        "“kvm” is not a hypervisor driver libvirt knows"
    );
    assert_eq!(
        UriError::BadPort("x".into()).to_string(),
        "“x” is not a port number from 1 to 65535"
    );
}

#[test]
fn forms_read_back_from_their_uris() {
    let forms = [
        form(Hypervisor::QemuSystem, Transport::Local, "", "", ""),
        form(Hypervisor::QemuSession, Transport::Local, "", "", ""),
        form(Hypervisor::QemuSystem, Transport::Ssh, "root", "host", ""),
        form(
            Hypervisor::QemuSession,
            Transport::Ssh,
            "ann",
            "lab",
            "2222",
        ),
        form(Hypervisor::Xen, Transport::Tls, "", "h", "16514"),
        form(Hypervisor::Lxc, Transport::Tcp, "", "10.0.0.7", ""),
        form(
            Hypervisor::QemuSystem,
            Transport::Ssh,
            "",
            "2001:db8::1",
            "",
        ),
        form(Hypervisor::Esx, Transport::Https, "root", "esx1", ""),
        ConnectionForm {
            verify_certificate: false,
            ..form(Hypervisor::Esx, Transport::Https, "", "esx1", "")
        },
        form(
            Hypervisor::HyperV,
            Transport::Https,
            "CORP\\admin",
            "hv",
            "5985",
        ),
        form(Hypervisor::VirtualBox, Transport::Ssh, "", "box", ""),
        form(Hypervisor::Test, Transport::Local, "", "", ""),
    ];
    for original in forms {
        let uri = build(&original).expect("builds");
        let read = ConnectionForm::from_uri(&uri);
        assert_eq!(build(&read).as_deref(), Ok(uri.as_str()));
        assert_eq!(read.hypervisor, original.hypervisor, "{uri}");
        assert_eq!(read.transport, original.transport, "{uri}");
        assert_eq!(read.user, original.user, "{uri}");
        assert_eq!(read.port, original.port, "{uri}");
        assert_eq!(
            read.verify_certificate, original.verify_certificate,
            "{uri}"
        );
    }
    let from_v6 = ConnectionForm::from_uri("qemu+ssh://[2001:db8::1]/system");
    assert_eq!(from_v6.host, "2001:db8::1");
}

#[test]
fn uris_the_form_cannot_express_open_as_custom_unchanged() {
    for uri in [
        "qemu://host/system",
        "qemu+unix:///system",
        "qemu+ssh://root@host/system?keyfile=/k",
        "xen:///system",
        "esx://host",
        "esx://host/?transport=http",
        "test:///tmp/node.xml",
        "QEMU:///system",
        "qemu+ssh://CORP%5cjo@h/system",
        "not a uri",
        "",
    ] {
        let form = ConnectionForm::from_uri(uri);
        assert_eq!(form.hypervisor, Hypervisor::Custom, "{uri}");
        assert_eq!(form.custom_uri, uri);
    }
}

#[test]
fn display_names_before_the_host_answers() {
    let cases = [
        ("qemu:///system", "QEMU/KVM"),
        ("qemu:///session", "QEMU/KVM user session"),
        ("qemu+ssh://root@host/system", "host"),
        ("qemu+ssh://root@host/session", "host (user session)"),
        ("esx://esx1.example.org/?no_verify=1", "esx1.example.org"),
        ("qemu+ssh://[2001:db8::1]/system", "2001:db8::1"),
        ("xen+tls://h:16514/", "h"),
        ("xen:///", "Xen"),
        ("lxc:///", "LXC"),
        ("vbox:///session", "VirtualBox"),
        ("test:///default", "Test driver"),
        ("test:///work/data/lab.xml", "Test driver (lab.xml)"),
        ("bhyve:///system", "bhyve:///system"),
        ("not a uri", "not a uri"),
    ];
    for (uri, expected) in cases {
        assert_eq!(display_name(uri), expected, "{uri}");
    }
}
