//! `check`: probe one connection (serverInfo → manifest → auth → myself) and explain the result.
//! Shared by `jiralink check` and the TUI connections pane. SKELETON: the client helper fills this in.
