//! Typing: keys and bracketed pastes in a text field (a form field, the log's filter, the
//! inspector's search, the request console with its history, the login's paste field). A
//! paste is text: it never reaches key dispatch, and a single-line field drops its newlines.

use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use super::app::{App, Mode, Screen};
use super::form::{self, EditOutcome, Field, first_line, text};
use super::keymap::Action;
use super::msg::Effect;
use super::overlay::Overlay;

impl App {
    /// Keys in a text field: the keymap's text scope (done, cancel, clear…), else typed.
    pub(super) fn text_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
        let before = std::mem::take(&mut self.form.before);
        let mode = self.mode;
        let out = match mode {
            Mode::Normal => return Vec::new(),
            Mode::Edit(field) => {
                let Some(ta) = self.field_mut(field) else {
                    self.mode = Mode::Normal;
                    return Vec::new();
                };
                let o = form::edit_key(ta, &before, action, key);
                if o == EditOutcome::Done && field.is_none() {
                    // The custom URL is checked before it is used or saved.
                    if let Err(e) = self.form.login_url() {
                        self.form.before = before;
                        self.say(format!("✗ {e} (Esc puts the URL back)"));
                        return Vec::new();
                    }
                }
                o
            }
            Mode::Filter => {
                self.log.selected = 0;
                form::edit_key(&mut self.log.filter, &before, action, key)
            }
            Mode::Search => {
                let Overlay::Inspector(ins) = &mut self.overlay else {
                    self.mode = Mode::Normal;
                    return Vec::new();
                };
                let o = match ins.search.as_mut() {
                    Some(ta) => form::edit_key(ta, &before, action, key),
                    None => EditOutcome::Done,
                };
                ins.search_changed();
                if o != EditOutcome::Typing {
                    ins.search = None;
                }
                o
            }
            Mode::Console => match action {
                Some(Action::Up) | Some(Action::Down) => {
                    self.console_history_step(action == Some(Action::Up));
                    EditOutcome::Typing
                }
                _ => {
                    let o = form::edit_key(&mut self.console.input, "", action, key);
                    if o == EditOutcome::Done {
                        let line = first_line(&self.console.input).trim().to_string();
                        self.mode = Mode::Normal;
                        if !line.is_empty() {
                            self.console.history.retain(|l| *l != line);
                            self.console.history.push(line.clone());
                            if self.console.history.len() > 100 {
                                self.console.history.remove(0);
                            }
                            return vec![Effect::SendRequest(line)];
                        }
                        return Vec::new();
                    }
                    o
                }
            },
            Mode::Admin => {
                let cmds = self
                    .fix
                    .admin_key(self.overlay.fix_mut(), action, key, &self.form);
                return self.apply(cmds);
            }
            Mode::FleetFilter => {
                let o = form::edit_key(&mut self.screens.fleet.filter, &before, action, key);
                self.screens.fleet.filter_changed();
                o
            }
            Mode::Paste => {
                let o = form::edit_key(&mut self.screens.login.paste, "", action, key);
                if o == EditOutcome::Done {
                    let url = first_line(&self.screens.login.paste);
                    self.screens.login.paste = text("");
                    return self.send_paste(url);
                }
                o
            }
        };
        match out {
            EditOutcome::Typing => self.form.before = before,
            EditOutcome::Done | EditOutcome::Cancelled => self.mode = Mode::Normal,
        }
        Vec::new()
    }

    fn console_history_step(&mut self, back: bool) {
        let n = self.console.history.len();
        if n == 0 {
            return;
        }
        let pos = match (self.console.pos, back) {
            (None, true) => Some(n - 1),
            (None, false) => None,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i + 1 < n => Some(i + 1),
            (Some(_), false) => None,
        };
        self.console.pos = pos;
        self.console.input = text(
            &pos.map(|i| self.console.history[i].clone())
                .unwrap_or_default(),
        );
    }

    /// A bracketed paste: into the field being typed in (line breaks dropped), or the login's
    /// paste field; never into key dispatch.
    pub(super) fn on_paste(&mut self, pasted: String) -> Vec<Effect> {
        match self.mode {
            Mode::Edit(field) => {
                if let Some(ta) = self.field_mut(field) {
                    form::paste_into(ta, &pasted);
                }
            }
            Mode::Filter => form::paste_into(&mut self.log.filter, &pasted),
            Mode::Admin => {
                if let Overlay::Fix(v) = &mut self.overlay {
                    let ta = if v.admin_field == 0 {
                        &mut v.user
                    } else {
                        &mut v.password
                    };
                    form::paste_into(ta, &pasted);
                }
            }
            Mode::Console => form::paste_into(&mut self.console.input, &pasted),
            Mode::FleetFilter => {
                form::paste_into(&mut self.screens.fleet.filter, &pasted);
                self.screens.fleet.filter_changed();
            }
            Mode::Search => {
                if let Overlay::Inspector(ins) = &mut self.overlay {
                    if let Some(ta) = ins.search.as_mut() {
                        form::paste_into(ta, &pasted);
                    }
                    ins.search_changed();
                }
            }
            Mode::Paste => {
                // A paste with its Enter: the URL goes at once; without, it waits for Enter.
                let ends = pasted.trim_end_matches([' ', '\t']).ends_with(['\n', '\r']);
                form::paste_into(&mut self.screens.login.paste, &pasted);
                if ends {
                    let url = first_line(&self.screens.login.paste);
                    self.screens.login.paste = text("");
                    self.mode = Mode::Normal;
                    return self.send_paste(url);
                }
            }
            Mode::Normal if self.screen == Screen::Login || self.run.waiting_for_person => {
                return self.send_paste(pasted.trim().to_string());
            }
            Mode::Normal => {
                self.say("Pasted text is only taken by a field being edited (Enter edits) or by the login (p).");
            }
        }
        Vec::new()
    }

    fn send_paste(&mut self, url: String) -> Vec<Effect> {
        if url.trim().is_empty() {
            return Vec::new();
        }
        if self.run.running && self.run.waiting_for_person {
            self.say("Redirect URL sent to the login; checking it…");
            // Paste mode stays open until the login takes it (a refusal says why).
            self.mode = Mode::Paste;
            vec![Effect::Paste(url)]
        } else {
            self.say("No login is waiting for a redirect URL (r starts one).");
            Vec::new()
        }
    }

    pub fn field_mut(&mut self, field: Option<Field>) -> Option<&mut TextArea<'static>> {
        match field {
            None => Some(&mut self.form.custom_url),
            Some(Field::ClientId) => Some(&mut self.form.client_id),
            Some(Field::ClientSecret) => Some(&mut self.form.client_secret),
            Some(Field::Username) => Some(&mut self.form.username),
            Some(Field::Credential) => Some(&mut self.form.credential),
            Some(_) => None,
        }
    }

    /// Starts typing in a field; Esc will put back what it holds now.
    pub fn edit(&mut self, field: Option<Field>) {
        if let Some(ta) = self.field_mut(field) {
            let v = first_line(ta);
            self.form.before = v;
            self.mode = Mode::Edit(field);
        }
    }
}
