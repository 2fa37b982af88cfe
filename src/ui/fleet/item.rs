//! The list item behind every fleet row: a GObject holding a host's or a VM's summary, plus a
//! generation counter so bound cells refresh only when their row changed.

use std::cell::{Cell, Ref, RefCell};

use gtk::gio;
use gtk::glib;
use gtk::subclass::prelude::*;

use hangar::fleet::{HostSummary, VmSummary};

/// What a row shows.
#[derive(Debug, Clone)]
pub enum ItemData {
    Host(HostSummary),
    Vm(VmSummary),
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct FleetItem {
        pub data: RefCell<Option<ItemData>>,
        /// Bumped on every change; cells remember the generation they last drew.
        pub generation: Cell<u64>,
        /// A host's VMs (the tree's children); `None` for VM rows.
        pub children: RefCell<Option<gio::ListStore>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for FleetItem {
        const NAME: &'static str = "HangarFleetItem";
        type Type = super::FleetItem;
    }

    impl ObjectImpl for FleetItem {}
}

glib::wrapper! {
    /// One row of the fleet: a host (with its VMs as children) or a VM.
    pub struct FleetItem(ObjectSubclass<imp::FleetItem>);
}

impl FleetItem {
    /// A host row with an empty list of VM rows.
    pub fn new_host(host: HostSummary) -> Self {
        let item: Self = glib::Object::new();
        *item.imp().data.borrow_mut() = Some(ItemData::Host(host));
        *item.imp().children.borrow_mut() = Some(gio::ListStore::new::<FleetItem>());
        item
    }

    /// A VM row.
    pub fn new_vm(vm: VmSummary) -> Self {
        let item: Self = glib::Object::new();
        *item.imp().data.borrow_mut() = Some(ItemData::Vm(vm));
        item
    }

    /// The row's data.
    pub fn data(&self) -> Ref<'_, ItemData> {
        Ref::map(self.imp().data.borrow(), |data| {
            data.as_ref().expect("set by the constructors")
        })
    }

    /// The VM summary, if this is a VM row.
    pub fn vm(&self) -> Option<Ref<'_, VmSummary>> {
        Ref::filter_map(self.data(), |data| match data {
            ItemData::Vm(vm) => Some(vm),
            ItemData::Host(_) => None,
        })
        .ok()
    }

    /// The host summary, if this is a host row.
    pub fn host(&self) -> Option<Ref<'_, HostSummary>> {
        Ref::filter_map(self.data(), |data| match data {
            ItemData::Host(host) => Some(host),
            ItemData::Vm(_) => None,
        })
        .ok()
    }

    /// A host row's VM rows.
    pub fn children(&self) -> Option<gio::ListStore> {
        self.imp().children.borrow().clone()
    }

    /// Replaces the data and marks the row changed (unless it is the same).
    pub fn set_data(&self, data: ItemData) {
        let same = match (self.imp().data.borrow().as_ref(), &data) {
            (Some(ItemData::Host(old)), ItemData::Host(new)) => old == new,
            (Some(ItemData::Vm(old)), ItemData::Vm(new)) => old == new,
            _ => false,
        };
        if !same {
            *self.imp().data.borrow_mut() = Some(data);
            self.touch();
        }
    }

    /// Edits a VM row's statistics in place; marks it changed only when a figure changed, so
    /// an unchanged row costs its cells nothing on the next refresh.
    pub fn update_vm_figures(&self, edit: impl FnOnce(&mut VmSummary)) {
        let changed = match self.imp().data.borrow_mut().as_mut() {
            Some(ItemData::Vm(vm)) => {
                let before = vm.figures();
                edit(vm);
                vm.figures() != before
            }
            _ => false,
        };
        if changed {
            self.touch();
        }
    }

    /// Edits a VM row in place and marks it changed. Does nothing on a host row.
    pub fn update_vm(&self, edit: impl FnOnce(&mut VmSummary)) {
        if let Some(ItemData::Vm(vm)) = self.imp().data.borrow_mut().as_mut() {
            edit(vm);
        }
        self.touch();
    }

    /// Edits a host row in place and marks it changed. Does nothing on a VM row.
    pub fn update_host(&self, edit: impl FnOnce(&mut HostSummary)) {
        if let Some(ItemData::Host(host)) = self.imp().data.borrow_mut().as_mut() {
            edit(host);
        }
        self.touch();
    }

    /// The change counter.
    pub fn generation(&self) -> u64 {
        self.imp().generation.get()
    }

    fn touch(&self) {
        self.imp().generation.set(self.imp().generation.get() + 1);
    }
}
