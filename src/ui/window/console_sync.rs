//! Keeps the console tab in step with the window: which machine the VM page shows, and the
//! state of every machine with a detached console (from the driver's lifecycle updates).

use hangar::model::{ConnectionId, DomainUuid};

use super::{Shown, Window};
use crate::ui::console::ConsoleMachine;

impl Window {
    /// Called after every update batch and selection change.
    pub(super) fn sync_consoles(&self) {
        let machine = match self.shown {
            Shown::Vm(id, uuid) => self.console_machine(id, uuid),
            _ => None,
        };
        self.vm_page.console.show_machine(machine);
        self.vm_page.console.sync(|id, uuid| {
            let entry = self.hosts.get(&id)?;
            let info = entry.domains.get(&uuid)?;
            Some((info.state, info.name.clone()))
        });
    }

    fn console_machine(&self, id: ConnectionId, uuid: DomainUuid) -> Option<ConsoleMachine> {
        let entry = self.hosts.get(&id)?;
        let info = entry.domains.get(&uuid)?;
        // While a host is unreachable its machines keep their last known state: an open
        // console may well go on working, and a new attempt says what libvirt answers.
        Some(ConsoleMachine {
            connection: entry.connection.clone(),
            connection_id: id,
            uuid,
            name: info.name.clone(),
            state: info.state,
        })
    }

    /// Benchmark hook: `HANGAR_BENCH_CONSOLE=HOST:PORT` opens a console on that VNC server in
    /// its own window at start-up (benches/scripts/console_window.py).
    pub(super) fn open_bench_console(&self) {
        let Some(address) = std::env::var("HANGAR_BENCH_CONSOLE")
            .ok()
            .filter(|a| !a.is_empty())
        else {
            return;
        };
        let Some((host, port)) = address
            .rsplit_once(':')
            .and_then(|(host, port)| Some((host.to_owned(), port.parse::<u16>().ok()?)))
        else {
            eprintln!("hangar: HANGAR_BENCH_CONSOLE must be HOST:PORT, not “{address}”");
            return;
        };
        let view = self.vm_page.console.open_direct(&host, port);
        // The benchmark divides CPU time by the textures drawn: report them once a second.
        gtk::glib::timeout_add_seconds_local(1, move || {
            println!("console-frames {}", view.frames());
            gtk::glib::ControlFlow::Continue
        });
    }
}
