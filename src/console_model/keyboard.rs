//! The console's keyboard state machine. It pairs every release with the keysym its press sent
//! (GDK may report a different key value on release when modifiers changed in between), knows
//! which keys are down at the guest so it can let them all go (focus lost, grab toggled), and
//! recognises the keyboard-grab combination by *modifier kind*, not by side: Ctrl+Alt matches
//! Control_R with Alt_L as well as Control_L with Alt_R.
//!
//! A combination of modifiers alone (the default Ctrl+Alt) fires when one of them is released
//! after all were held with no other key pressed in between, so Ctrl+Alt+Delete still reaches
//! the guest. A combination with an ordinary key (Ctrl+Alt+G) fires on that key's press, which
//! the guest never sees.

use crate::vnc::keys::keysym;

/// A kind of modifier key; left and right keys are the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modifier {
    Shift,
    Control,
    /// Alt and Meta (some layouts report Alt as Meta with Shift).
    Alt,
    /// Super and Hyper (the "Windows" key).
    Super,
    /// AltGr (ISO_Level3_Shift) and Mode_switch.
    Level3,
}

impl Modifier {
    fn bit(self) -> u8 {
        match self {
            Modifier::Shift => 1,
            Modifier::Control => 2,
            Modifier::Alt => 4,
            Modifier::Super => 8,
            Modifier::Level3 => 16,
        }
    }

    /// The kind of modifier a keysym is, if it is one.
    pub fn of_keysym(sym: u32) -> Option<Modifier> {
        use keysym::*;
        Some(match sym {
            SHIFT_L | SHIFT_R => Modifier::Shift,
            CONTROL_L | CONTROL_R => Modifier::Control,
            ALT_L | ALT_R | META_L | META_R => Modifier::Alt,
            SUPER_L | SUPER_R | HYPER_L | HYPER_R => Modifier::Super,
            ISO_LEVEL3_SHIFT | MODE_SWITCH => Modifier::Level3,
            _ => return None,
        })
    }
}

/// A set of modifier kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ModifierSet(u8);

impl ModifierSet {
    pub const EMPTY: ModifierSet = ModifierSet(0);

    pub fn of(modifiers: &[Modifier]) -> ModifierSet {
        modifiers
            .iter()
            .fold(ModifierSet::EMPTY, |set, modifier| set.with(*modifier))
    }

    pub fn with(self, modifier: Modifier) -> ModifierSet {
        ModifierSet(self.0 | modifier.bit())
    }

    pub fn contains(self, modifier: Modifier) -> bool {
        self.0 & modifier.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many kinds are in the set.
    pub fn len(self) -> u32 {
        self.0.count_ones()
    }
}

/// The combination that grabs and releases the keyboard (GSettings `console-grab-keys`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GrabCombo {
    modifiers: ModifierSet,
    /// The ordinary key, or `None` for a combination of modifiers only.
    key: Option<u32>,
}

impl Default for GrabCombo {
    /// Ctrl+Alt.
    fn default() -> Self {
        GrabCombo {
            modifiers: ModifierSet::of(&[Modifier::Control, Modifier::Alt]),
            key: None,
        }
    }
}

impl GrabCombo {
    /// A combination from an accelerator's parts (as `gtk::accelerator_parse` gives them): the
    /// modifiers held and the key. A modifier key joins the modifiers (`<Control>Alt_L` is
    /// Ctrl+Alt). `None` when the combination would steal the guest's typing: modifiers alone
    /// need two kinds, an ordinary key needs Ctrl, Alt or Super.
    pub fn new(modifiers: ModifierSet, key: u32) -> Option<GrabCombo> {
        let combo = match Modifier::of_keysym(key) {
            Some(modifier) => GrabCombo {
                modifiers: modifiers.with(modifier),
                key: None,
            },
            None => GrabCombo {
                modifiers,
                key: Some(lowercase(key)),
            },
        };
        let valid = match combo.key {
            None => combo.modifiers.len() >= 2,
            Some(_) => {
                combo.modifiers.contains(Modifier::Control)
                    || combo.modifiers.contains(Modifier::Alt)
                    || combo.modifiers.contains(Modifier::Super)
            }
        };
        valid.then_some(combo)
    }

    pub fn modifiers(&self) -> ModifierSet {
        self.modifiers
    }

    pub fn key(&self) -> Option<u32> {
        self.key
    }
}

/// Latin letters compare case-insensitively (Shift+G reports `G`).
fn lowercase(sym: u32) -> u32 {
    match sym {
        0x41..=0x5a | 0xc0..=0xd6 | 0xd8..=0xde => sym + 0x20,
        other => other,
    }
}

/// What to do after a key event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyOutput {
    /// Key events for the guest, in order: (keysym, pressed).
    pub send: Vec<(u32, bool)>,
    /// The grab combination was completed: grab or release the keyboard.
    pub toggle_grab: bool,
}

/// Keys held on the local keyboard and at the guest, and the grab combination's progress.
#[derive(Debug, Clone, Default)]
pub struct KeyboardState {
    combo: GrabCombo,
    /// Held locally: hardware key code → the keysym it had when pressed (`None`: no keysym).
    held: Vec<(u32, Option<u32>)>,
    /// Down at the guest: hardware key code → the keysym sent.
    at_guest: Vec<(u32, u32)>,
    /// A modifier-only combination is fully held and nothing else was pressed since.
    armed: bool,
}

impl KeyboardState {
    pub fn new(combo: GrabCombo) -> KeyboardState {
        KeyboardState {
            combo,
            ..KeyboardState::default()
        }
    }

    /// Changes the grab combination (the setting changed); held keys stay as they are.
    pub fn set_combo(&mut self, combo: GrabCombo) {
        self.combo = combo;
        self.armed = false;
    }

    pub fn combo(&self) -> GrabCombo {
        self.combo
    }

    /// Modifier kinds held on the local keyboard.
    fn held_modifiers(&self) -> ModifierSet {
        self.held
            .iter()
            .filter_map(|(_, sym)| sym.and_then(Modifier::of_keysym))
            .fold(ModifierSet::EMPTY, ModifierSet::with)
    }

    fn only_modifiers_held(&self) -> bool {
        self.held
            .iter()
            .all(|(_, sym)| sym.and_then(Modifier::of_keysym).is_some())
    }

    /// Key `code` went down with `sym` (`None`: a key value with no keysym; it is tracked
    /// but not sent). A key already down is auto-repeat and is sent again.
    pub fn press(&mut self, code: u32, sym: Option<u32>) -> KeyOutput {
        let repeat = self.held.iter().any(|(held, _)| *held == code);
        if !repeat {
            self.held.push((code, sym));
        }
        let sym_modifier = sym.and_then(Modifier::of_keysym);
        if let Some(key) = self.combo.key {
            if sym.map(lowercase) == Some(key) && self.held_modifiers() == self.combo.modifiers {
                // The combination's own key: never reaches the guest, and neither does its
                // release (it is not recorded at the guest). Modifiers held are let go.
                return KeyOutput {
                    send: self.release_all_at_guest(),
                    toggle_grab: !repeat,
                };
            }
        } else if sym_modifier.is_some() {
            self.armed =
                self.only_modifiers_held() && self.held_modifiers() == self.combo.modifiers;
        } else {
            self.armed = false;
        }
        let Some(sym) = sym else {
            return KeyOutput::default();
        };
        if !self.at_guest.iter().any(|(held, _)| *held == code) {
            self.at_guest.push((code, sym));
        }
        // Auto-repeat resends the keysym of the original press.
        let sent = self
            .at_guest
            .iter()
            .find(|(held, _)| *held == code)
            .map_or(sym, |(_, sent)| *sent);
        KeyOutput {
            send: vec![(sent, true)],
            toggle_grab: false,
        }
    }

    /// Key `code` went up.
    pub fn release(&mut self, code: u32) -> KeyOutput {
        self.held.retain(|(held, _)| *held != code);
        if self.armed {
            self.armed = false;
            // Every key of the combination goes up at the guest now; the ones still held
            // locally are no longer down there, so their releases are not sent again.
            return KeyOutput {
                send: self.release_all_at_guest(),
                toggle_grab: true,
            };
        }
        let mut send = Vec::new();
        if let Some(at) = self.at_guest.iter().position(|(held, _)| *held == code) {
            let (_, sym) = self.at_guest.remove(at);
            send.push((sym, false));
        }
        KeyOutput {
            send,
            toggle_grab: false,
        }
    }

    /// Releases at the guest every key still down there, newest first.
    fn release_all_at_guest(&mut self) -> Vec<(u32, bool)> {
        self.at_guest
            .drain(..)
            .rev()
            .map(|(_, sym)| (sym, false))
            .collect()
    }

    /// The console lost the keyboard (focus left, window deactivated, session changed): lets
    /// every key go at the guest and forgets the local ones, whose releases will not be seen.
    pub fn release_all(&mut self) -> Vec<(u32, bool)> {
        self.held.clear();
        self.armed = false;
        self.release_all_at_guest()
    }

    /// Whether any key is down at the guest.
    pub fn keys_down_at_guest(&self) -> usize {
        self.at_guest.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keysym::*;

    // Hardware key codes (X11 evdev) of the keys used below.
    const CTRL_L: u32 = 37;
    const CTRL_R: u32 = 105;
    const ALT: u32 = 64;
    const ALTGR: u32 = 108;
    const SHIFT: u32 = 50;
    const KEY_A: u32 = 38;
    const KEY_G: u32 = 42;
    const DEL: u32 = 119;

    fn sent(output: &KeyOutput) -> Vec<(u32, bool)> {
        output.send.clone()
    }

    #[test]
    fn release_sends_the_keysym_of_the_press() {
        let mut keys = KeyboardState::default();
        assert_eq!(sent(&keys.press(SHIFT, Some(SHIFT_L))), [(SHIFT_L, true)]);
        assert_eq!(sent(&keys.press(KEY_A, Some(0x41))), [(0x41, true)]); // "A"
        assert_eq!(sent(&keys.release(SHIFT)), [(SHIFT_L, false)]);
        // GDK now reports "a", but the guest must see the "A" it got go up.
        assert_eq!(sent(&keys.release(KEY_A)), [(0x41, false)]);
        assert_eq!(keys.keys_down_at_guest(), 0);
        // A release never pressed here (focus came in with the key down) sends nothing.
        assert!(keys.release(KEY_A).send.is_empty());
    }

    #[test]
    fn auto_repeat_resends_the_original_keysym() {
        let mut keys = KeyboardState::default();
        keys.press(KEY_A, Some(0x61));
        assert_eq!(sent(&keys.press(KEY_A, Some(0x61))), [(0x61, true)]);
        assert_eq!(sent(&keys.release(KEY_A)), [(0x61, false)]);
    }

    #[test]
    fn modifier_only_combo_fires_on_release_whichever_side() {
        for (ctrl, ctrl_sym, alt, alt_sym) in [
            (CTRL_L, CONTROL_L, ALT, ALT_L),
            (CTRL_R, CONTROL_R, ALT, ALT_L),
            (CTRL_L, CONTROL_L, 113, ALT_R),
            (CTRL_R, CONTROL_R, 113, META_R),
        ] {
            let mut keys = KeyboardState::default();
            assert!(!keys.press(ctrl, Some(ctrl_sym)).toggle_grab);
            let both = keys.press(alt, Some(alt_sym));
            assert!(!both.toggle_grab, "fires on release, not on press");
            let out = keys.release(alt);
            assert!(out.toggle_grab);
            // Both modifiers go up at the guest; Ctrl's later release is not sent twice.
            assert_eq!(sent(&out), [(alt_sym, false), (ctrl_sym, false)]);
            assert!(keys.release(ctrl).send.is_empty());
            assert_eq!(keys.keys_down_at_guest(), 0);
        }
    }

    #[test]
    fn ctrl_alt_delete_still_reaches_the_guest() {
        let mut keys = KeyboardState::default();
        keys.press(CTRL_L, Some(CONTROL_L));
        keys.press(ALT, Some(ALT_L));
        let del = keys.press(DEL, Some(DELETE));
        assert_eq!(sent(&del), [(DELETE, true)]);
        for code in [DEL, ALT, CTRL_L] {
            assert!(!keys.release(code).toggle_grab);
        }
        assert_eq!(keys.keys_down_at_guest(), 0);
    }

    #[test]
    fn extra_or_other_modifiers_do_not_fire() {
        let mut keys = KeyboardState::default();
        keys.press(SHIFT, Some(SHIFT_L));
        keys.press(CTRL_L, Some(CONTROL_L));
        keys.press(ALT, Some(ALT_L));
        assert!(
            !keys.release(ALT).toggle_grab,
            "Shift+Ctrl+Alt is not Ctrl+Alt"
        );
        let mut keys = KeyboardState::default();
        keys.press(CTRL_L, Some(CONTROL_L));
        keys.press(ALTGR, Some(ISO_LEVEL3_SHIFT));
        assert!(!keys.release(ALTGR).toggle_grab, "AltGr is not Alt");
    }

    #[test]
    fn combo_with_a_key_fires_on_press_and_hides_the_key() {
        let combo = GrabCombo::new(
            ModifierSet::of(&[Modifier::Control, Modifier::Alt]),
            u32::from(b'g'),
        )
        .unwrap();
        let mut keys = KeyboardState::new(combo);
        keys.press(CTRL_R, Some(CONTROL_R));
        keys.press(ALT, Some(ALT_L));
        let out = keys.press(KEY_G, Some(u32::from(b'g')));
        assert!(out.toggle_grab);
        assert_eq!(sent(&out), [(ALT_L, false), (CONTROL_R, false)]);
        assert!(keys.release(KEY_G).send.is_empty(), "the guest never saw g");
        // Ctrl+Alt alone does not fire when the combination has a key.
        assert!(!keys.release(ALT).toggle_grab);
        assert!(!keys.release(CTRL_R).toggle_grab);
        // An upper-case report of the key matches (Caps Lock).
        keys.press(CTRL_L, Some(CONTROL_L));
        keys.press(ALT, Some(ALT_L));
        assert!(keys.press(KEY_G, Some(u32::from(b'G'))).toggle_grab);
    }

    #[test]
    fn combos_that_would_steal_typing_are_refused() {
        let ctrl = ModifierSet::of(&[Modifier::Control]);
        assert_eq!(
            GrabCombo::new(ctrl, ALT_L),
            Some(GrabCombo::default()),
            "<Control>Alt_L is the default"
        );
        assert!(GrabCombo::new(ModifierSet::EMPTY, CONTROL_L).is_none());
        assert!(GrabCombo::new(ModifierSet::EMPTY, u32::from(b'g')).is_none());
        assert!(GrabCombo::new(ModifierSet::of(&[Modifier::Shift]), u32::from(b'g')).is_none());
        assert!(GrabCombo::new(ModifierSet::of(&[Modifier::Super]), F12).is_some());
    }

    #[test]
    fn losing_focus_lets_everything_go() {
        let mut keys = KeyboardState::default();
        keys.press(CTRL_L, Some(CONTROL_L));
        keys.press(KEY_A, Some(0x61));
        assert_eq!(keys.release_all(), [(0x61, false), (CONTROL_L, false)]);
        assert!(keys.release(KEY_A).send.is_empty());
        // Armed state is forgotten too: the next release does not toggle.
        keys.press(CTRL_L, Some(CONTROL_L));
        keys.press(ALT, Some(ALT_L));
        keys.release_all();
        assert!(!keys.release(ALT).toggle_grab);
    }

    #[test]
    fn keys_without_a_keysym_are_tracked_but_not_sent() {
        let mut keys = KeyboardState::default();
        assert!(keys.press(200, None).send.is_empty());
        keys.press(CTRL_L, Some(CONTROL_L));
        keys.press(ALT, Some(ALT_L));
        assert!(
            !keys.release(ALT).toggle_grab,
            "another key was held, so this is no clean Ctrl+Alt"
        );
    }
}
