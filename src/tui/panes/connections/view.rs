//! What the Connections pane draws: the list with badges, the details of one check chain, the
//! delete confirmation, and the form over the list. Pure over `&ConnectionsPane`.

use super::*;

impl ConnectionsPane {
    /// The whole pane: the list (with the filter row and any dialog over it) or the details.
    pub(super) fn draw_pane(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        match &self.mode {
            ConnectionsMode::Details { name, scroll } => {
                self.draw_details(frame, area, name, *scroll, cx)
            }
            ConnectionsMode::Links(v) => v.draw(frame, area, cx),
            other => {
                let [list, filter_row] = if self.filter_input.is_some() {
                    Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area)
                } else {
                    [area, Rect::default()]
                };
                self.draw_list(frame, list, cx);
                if let Some(t) = &self.filter_input {
                    let prefix = "/";
                    let (shown, cur) = t.render(filter_row.width.saturating_sub(1) as usize, '*');
                    frame.render_widget(Paragraph::new(format!("{prefix}{shown}")), filter_row);
                    frame.set_cursor_position(Position {
                        x: filter_row.x + 1 + cur as u16,
                        y: filter_row.y,
                    });
                }
                match other {
                    ConnectionsMode::Form(f) => f.draw(frame, area, cx),
                    ConnectionsMode::ConfirmDelete { name, saving } => {
                        self.draw_confirm(frame, area, name, saving.is_some(), cx)
                    }
                    _ => {}
                }
            }
        }
    }

    fn draw_list(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        let theme = cx.theme;
        let title = if self.active_filter().is_empty() {
            " Connections ".to_string()
        } else {
            format!(" Connections (filter: {}) ", self.active_filter())
        };
        let block = theme.block().title(title);
        let inner_msg = |lines: Vec<Line<'static>>| {
            Paragraph::new(lines)
                .block(block.clone())
                .wrap(Wrap { trim: false })
        };
        match &self.load {
            LoadState::Loading(_) => {
                frame.render_widget(
                    inner_msg(vec![Line::styled(
                        theme.text(&format!(
                            "{} reading {}…",
                            theme.spinner(cx.spinner),
                            self.config_path.display()
                        )),
                        theme.busy(),
                    )]),
                    area,
                );
                return;
            }
            LoadState::Failed(e) => {
                frame.render_widget(
                    inner_msg(vec![
                        Line::styled(
                            format!(
                                "{} could not read {}",
                                theme.sym_fail(),
                                self.config_path.display()
                            ),
                            theme.error(),
                        ),
                        Line::raw(e.clone()),
                        Line::raw(""),
                        Line::raw("Fix the file and press r to read it again."),
                    ]),
                    area,
                );
                return;
            }
            LoadState::Loaded(c) if c.connections.is_empty() => {
                frame.render_widget(inner_msg(vec![Line::raw(theme.text(EMPTY_TEXT))]), area);
                return;
            }
            LoadState::Loaded(_) => {}
        }
        let names = self.visible_names();
        if names.is_empty() {
            frame.render_widget(
                inner_msg(vec![Line::raw(
                    theme.text("no connection matches the filter — Esc clears it"),
                )]),
                area,
            );
            return;
        }
        let config = self.config();
        // The name column is as wide as the longest name (within reason) so the URL keeps its room.
        let name_w = names
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(4, 20) as u16;
        // The status column fits the longest badge ("not linked yet — open the Link wizard (2)")
        // even at 80 columns, where the URL (in full in the details) may be cut short.
        let longest_badge = names
            .iter()
            .map(|n| badge::badge_line(theme, &self.state_of(n), false, 0).width())
            .max()
            .unwrap_or(0);
        let room = usize::from(area.width).saturating_sub(usize::from(name_w) + 11 + 2 + 3 + 2 + 5);
        let status_w = longest_badge.min(room).max(24) as u16;
        // A URL column narrower than a host name shows only "http:": then the URL is left to the
        // details (Enter) rather than shown as a stub.
        let url_w = usize::from(area.width)
            .saturating_sub(usize::from(name_w) + 11 + usize::from(status_w) + 2 + 3 + 2);
        let show_url = url_w >= 12;
        let rows: Vec<Row> = names
            .iter()
            .map(|name| {
                let conn = config.and_then(|c| c.connections.iter().find(|x| &x.name == name));
                let state = self.state_of(name);
                let mut cells = vec![
                    Cell::from(name.clone()),
                    Cell::from(conn.map(|c| auth_label(c.auth)).unwrap_or_default()),
                    Cell::from(badge::badge_line(
                        theme,
                        &state,
                        self.is_checking(name),
                        cx.spinner,
                    )),
                ];
                if show_url {
                    cells.push(Cell::from(conn.map(|c| c.url.clone()).unwrap_or_default()));
                }
                Row::new(cells)
            })
            .collect();
        let mut widths = vec![
            Constraint::Length(name_w),
            Constraint::Length(11),
            if show_url {
                Constraint::Length(status_w)
            } else {
                Constraint::Fill(1)
            },
        ];
        let mut header = vec!["NAME", "AUTH", "STATUS"];
        if show_url {
            widths.push(Constraint::Fill(1));
            header.push("URL");
        }
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(theme.accent()))
            .row_highlight_style(theme.selected())
            // The marker keeps the selection visible where reverse video is lost (copy-paste, screen readers).
            .highlight_symbol(if theme.ascii { "> " } else { "▶ " })
            .block(block);
        // A fresh state per frame keeps drawing a pure function of the pane.
        let mut state =
            TableState::default().with_selected(Some(self.selected.min(names.len() - 1)));
        frame.render_stateful_widget(table, area, &mut state);
    }

    fn draw_details(
        &self,
        frame: &mut Frame,
        area: Rect,
        name: &str,
        scroll: u16,
        cx: &ViewCx<'_>,
    ) {
        let theme = cx.theme;
        let conn = self
            .config()
            .and_then(|c| c.connections.iter().find(|x| x.name == name));
        let state = self.state_of(name);
        let mut lines = vec![
            Line::from(
                std::iter::once(Span::styled("Status   ", theme.accent()))
                    .chain(
                        badge::badge_line(theme, &state, self.is_checking(name), cx.spinner).spans,
                    )
                    .collect::<Vec<_>>(),
            ),
            Line::from(vec![
                Span::styled("URL      ", theme.accent()),
                Span::raw(conn.map(|c| c.url.clone()).unwrap_or_default()),
            ]),
            Line::from(vec![
                Span::styled("Auth     ", theme.accent()),
                Span::raw(conn.map(|c| auth_label(c.auth)).unwrap_or_default()),
            ]),
        ];
        match &state {
            CheckState::Done(r) => {
                if let Some(s) = &r.server {
                    let parts: Vec<&str> = [&s.title, &s.version, &s.deployment_type]
                        .into_iter()
                        .filter_map(|x| x.as_deref())
                        .collect();
                    lines.push(Line::from(vec![
                        Span::styled("Server   ", theme.accent()),
                        Span::raw(theme.text(&parts.join(" · "))),
                    ]));
                }
                if let Some(u) = &r.user {
                    lines.push(Line::from(vec![
                        Span::styled("User     ", theme.accent()),
                        Span::raw(u.clone()),
                    ]));
                }
                lines.push(Line::raw(""));
                lines.push(Line::styled("Check chain", theme.accent()));
                for step in &r.steps {
                    let (sym, style) = badge::step_symbol(theme, step.status);
                    lines.push(Line::from(vec![
                        Span::raw("  "),
                        Span::styled(sym, style),
                        Span::raw(format!(" {:<12} ", step.name)),
                        Span::raw(step.detail.clone()),
                    ]));
                }
                for (title, d) in r
                    .diagnosis
                    .iter()
                    .map(|d| ("Diagnosis", d))
                    // When everything worked the diagnosis is the worst warning: show it once.
                    .chain(
                        r.warnings
                            .iter()
                            .filter(|w| r.diagnosis.as_ref() != Some(*w))
                            .map(|d| ("Warning", d)),
                    )
                {
                    let style = if d.is_error() {
                        theme.error()
                    } else {
                        theme.warn()
                    };
                    lines.push(Line::raw(""));
                    lines.push(Line::styled(format!("{title} [{}]", d.code), style));
                    lines.push(Line::from(vec![
                        Span::styled("  what  ", theme.accent()),
                        Span::raw(d.summary.clone()),
                    ]));
                    if !d.detail.is_empty() {
                        lines.push(Line::from(vec![
                            Span::styled("  why   ", theme.accent()),
                            Span::raw(d.detail.clone()),
                        ]));
                    }
                    if !d.fix.is_empty() {
                        lines.push(Line::from(vec![
                            Span::styled("  fix   ", theme.accent()),
                            Span::raw(d.fix.clone()),
                        ]));
                    }
                }
            }
            CheckState::Failed(msg) => {
                lines.push(Line::raw(""));
                lines.push(Line::styled("The check could not run:", theme.error()));
                lines.push(Line::raw(msg.clone()));
            }
            CheckState::Checking => {
                lines.push(Line::raw(""));
                lines.push(Line::raw(
                    theme.text("serverInfo → manifest → auth → myself …"),
                ));
            }
            CheckState::Unknown => {
                lines.push(Line::raw(""));
                lines.push(Line::raw("Not checked yet: press r."));
            }
            CheckState::NotLinked => {
                lines.push(Line::raw(""));
                lines.push(Line::raw(theme.text(&format!(
                    "{}: it has no access token, so there is nothing to check. The wizard \
                     registers the key in Jira, gets the token and saves it here.",
                    badge::NOT_LINKED
                ))));
            }
        }
        frame.render_widget(
            Paragraph::new(lines)
                .block(theme.block().title(format!(" {name} ")))
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0)),
            area,
        );
    }

    fn draw_confirm(
        &self,
        frame: &mut Frame,
        area: Rect,
        name: &str,
        saving: bool,
        cx: &ViewCx<'_>,
    ) {
        let theme = cx.theme;
        let popup = centered(area, 56, 6);
        let last = if saving {
            Line::styled(
                theme.text(&format!("{} deleting…", theme.spinner(cx.spinner))),
                theme.busy(),
            )
        } else {
            Line::from(vec![
                Span::styled("y", theme.accent()),
                Span::raw(" delete   "),
                Span::styled("n", theme.accent()),
                Span::raw(" keep"),
            ])
        };
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(vec![
                Line::raw(format!("Delete connection {name}?")),
                Line::raw("It is removed from the config file."),
                Line::raw(""),
                last,
            ])
            .block(theme.block().title(" Confirm "))
            .wrap(Wrap { trim: false }),
            popup,
        );
    }
}
