//! The simulated Jira's data: users, groups, application roles, project roles, projects and
//! permission schemes, generated deterministically from a seed, plus the one permission evaluator
//! every endpoint and `Sim::has_permission` use.
use super::catalog::{self, PermType};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// Project role ids as Jira DC ships them.
pub const ROLE_USERS: i64 = 10000;
/// "Developers" role id.
pub const ROLE_DEVELOPERS: i64 = 10001;
/// "Administrators" role id.
pub const ROLE_ADMINISTRATORS: i64 = 10002;

/// Holder types of permission grants that Jira DC uses.
pub const HOLDER_TYPES: &[&str] = &[
    "anyone",
    "group",
    "user",
    "projectRole",
    "applicationRole",
    "projectLead",
    "reporter",
    "assignee",
    "userCustomField",
    "groupCustomField",
];

/// Whether a role actor is a user or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorType {
    /// `atlassian-user-role-actor`.
    User,
    /// `atlassian-group-role-actor`.
    Group,
}

/// A user account. Debug redacts the credentials.
#[derive(Clone)]
pub struct User {
    /// Login name.
    pub name: String,
    /// DC user key (`JIRAUSER10100`; the first admin keeps its name as key, as in upgraded instances).
    pub key: String,
    /// Display name.
    pub display_name: String,
    /// E-mail address (also the Cloud login).
    pub email: String,
    /// Password for Basic auth and the login page.
    pub password: String,
    /// Personal Access Token (DC `Authorization: Bearer`).
    pub pat: String,
    /// Cloud API token (Basic with the e-mail in cloud mode).
    pub api_token: String,
    /// Cloud account id.
    pub account_id: String,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("key", &self.key)
            .field("password", &"<redacted>")
            .field("pat", &"<redacted>")
            .field("api_token", &"<redacted>")
            .finish()
    }
}

/// A group and its members.
#[derive(Debug, Clone)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// Member user names.
    pub members: BTreeSet<String>,
}

/// An application role (licence), granted through groups.
#[derive(Debug, Clone)]
pub struct AppRole {
    /// `jira-software`, `jira-core`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Groups that confer it.
    pub groups: Vec<String>,
}

/// A project role definition.
#[derive(Debug, Clone)]
pub struct Role {
    /// Role id.
    pub id: i64,
    /// Role name.
    pub name: String,
    /// Description.
    pub description: String,
}

/// A role actor in one project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// User or group.
    pub kind: ActorType,
    /// User or group name.
    pub name: String,
}

/// A project.
#[derive(Debug, Clone)]
pub struct Project {
    /// Numeric id.
    pub id: u64,
    /// Key, e.g. `ACME`.
    pub key: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Lead's user name.
    pub lead: String,
    /// `software` or `business`.
    pub type_key: &'static str,
    /// Index into `World::schemes`.
    pub scheme: usize,
    /// Role id → actors.
    pub actors: HashMap<i64, Vec<Actor>>,
}

/// Who a grant is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// One of [`HOLDER_TYPES`].
    pub kind: String,
    /// Group name, user name, role id, application role key, custom field id, or none.
    pub parameter: Option<String>,
}

/// One grant of a permission scheme.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Grant id.
    pub id: i64,
    /// Permission key.
    pub permission: String,
    /// Holder.
    pub holder: Holder,
}

/// A permission scheme.
#[derive(Debug, Clone)]
pub struct Scheme {
    /// Scheme id (the default scheme is 0 on DC).
    pub id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Grants.
    pub grants: Vec<Grant>,
    /// Permission key → indexes into `grants`, so a check touches only the relevant grants.
    by_perm: HashMap<String, Vec<usize>>,
}

impl Scheme {
    fn new(id: i64, name: &str, description: &str) -> Self {
        Self {
            id,
            name: name.to_owned(),
            description: description.to_owned(),
            grants: Vec::new(),
            by_perm: HashMap::new(),
        }
    }

    fn reindex(&mut self) {
        self.by_perm.clear();
        for (i, g) in self.grants.iter().enumerate() {
            self.by_perm
                .entry(g.permission.clone())
                .or_default()
                .push(i);
        }
    }

    /// The grants for one permission key.
    pub fn grants_for<'a>(&'a self, perm: &str) -> impl Iterator<Item = &'a Grant> + 'a {
        self.by_perm
            .get(perm)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.grants.get(i))
    }
}

/// An application link created through the applinks REST API.
#[derive(Debug, Clone)]
pub struct AppLink {
    /// UUID.
    pub id: String,
    /// Name.
    pub name: String,
    /// RPC URL.
    pub rpc_url: String,
    /// Display URL.
    pub display_url: String,
    /// Type id (`generic`).
    pub type_id: String,
    /// Consumer key registered for incoming OAuth, if any.
    pub consumer_key: Option<String>,
    /// The rest of that consumer, as the consumer GET gives it back.
    pub consumer: Option<AppLinkConsumer>,
    /// Incoming OAuth 1.0a (enabled, 2LO) as set by `PUT /rest/applinks/3.0/status/{id}/oauth`;
    /// `None`: on exactly when a consumer is registered.
    pub incoming_oauth: Option<(bool, bool)>,
}

/// The incoming OAuth consumer of an application link, beyond its key.
#[derive(Debug, Clone)]
pub struct AppLinkConsumer {
    /// Name shown on the Allow page.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Public key, re-encoded as `BEGIN PUBLIC KEY` PEM.
    pub public_key_pem: String,
    /// Callback URL.
    pub callback: Option<String>,
    /// 2-legged OAuth allowed.
    pub two_lo_allowed: bool,
    /// 2LO user.
    pub executing_two_lo_user: Option<String>,
    /// 2LO impersonation allowed.
    pub two_lo_impersonation_allowed: bool,
}

/// The whole simulated instance.
#[derive(Debug, Clone)]
pub struct World {
    /// Users.
    pub users: Vec<User>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Application roles.
    pub app_roles: Vec<AppRole>,
    /// Project roles.
    pub roles: Vec<Role>,
    /// Projects, in creation order.
    pub projects: Vec<Project>,
    /// Permission schemes.
    pub schemes: Vec<Scheme>,
    /// Global permission key → groups holding it.
    pub global_grants: HashMap<&'static str, Vec<String>>,
    /// Application links.
    pub applinks: Vec<AppLink>,
    /// Bumped on every change, so cached responses know when they are stale.
    pub generation: u64,
    project_by_key: HashMap<String, usize>,
    project_by_id: HashMap<u64, usize>,
    /// Login name → index into `users` (kept by `generate` and `add_broad_users`; `user` checks it and
    /// falls back to a scan for users pushed elsewhere).
    user_index: HashMap<String, usize>,
    next_grant_id: i64,
}

const NAMED_PROJECTS: &[(&str, &str)] = &[
    ("ACME", "Acme Platform"),
    ("OPS", "Operations"),
    ("DEVX", "Developer Experience"),
    ("WEB", "Public Website"),
    ("MOB", "Mobile Apps"),
    ("LEAD", "Leadership Initiatives"),
    ("SUP", "Customer Support"),
    ("INT", "Integrations"),
    ("HR", "Human Resources"),
    ("FIN", "Finance"),
    ("DATA", "Data Platform"),
    ("SEC", "Security"),
    ("INFRA", "Infrastructure"),
    ("QA", "Quality Assurance"),
    ("MKT", "Marketing"),
    ("LEGAL", "Legal"),
];

/// Scheme indexes in generation order.
const S_DEFAULT: usize = 0;
const S_RESTRICTED: usize = 1;
const S_DEVELOPERS: usize = 2;
const S_PUBLIC: usize = 3;
const S_SOFTWARE: usize = 4;
const S_LEAD_ONLY: usize = 5;
const S_REPORTER: usize = 6;
const S_INTEGRATION: usize = 7;

/// Scheme of the first eight projects, so every scheme is in use even with few projects.
const FIRST_SCHEMES: [usize; 8] = [
    S_DEFAULT,
    S_RESTRICTED,
    S_DEVELOPERS,
    S_PUBLIC,
    S_SOFTWARE,
    S_LEAD_ONLY,
    S_REPORTER,
    S_INTEGRATION,
];

/// What the everyday "use a project" permissions are.
const USER_PERMS: &[&str] = &[
    "BROWSE_PROJECTS",
    "CREATE_ISSUES",
    "EDIT_ISSUES",
    "TRANSITION_ISSUES",
    "ASSIGNABLE_USER",
    "RESOLVE_ISSUES",
    "CLOSE_ISSUES",
    "LINK_ISSUES",
    "ADD_COMMENTS",
    "EDIT_OWN_COMMENTS",
    "DELETE_OWN_COMMENTS",
    "CREATE_ATTACHMENTS",
    "DELETE_OWN_ATTACHMENTS",
    "WORK_ON_ISSUES",
    "EDIT_OWN_WORKLOGS",
    "DELETE_OWN_WORKLOGS",
    "VIEW_VOTERS_AND_WATCHERS",
    "VIEW_READONLY_WORKFLOW",
];

/// A random base64 token of `len_bytes` bytes (PATs, API tokens).
pub(super) fn random_token(len_bytes: usize) -> String {
    use base64::Engine as _;
    let mut bytes = vec![0u8; len_bytes];
    rand::thread_rng().fill(bytes.as_mut_slice());
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

fn holder(kind: &str, parameter: Option<&str>) -> Holder {
    Holder {
        kind: kind.to_owned(),
        parameter: parameter.map(str::to_owned),
    }
}

impl World {
    /// Generate the instance: `projects` projects, deterministic for a given `seed` (credentials are
    /// random per start, never derived from the seed).
    pub fn generate(projects: usize, seed: u64) -> World {
        let mut rng = StdRng::seed_from_u64(seed);
        let user_specs: [(&str, &str, &[&str]); 5] = [
            (
                "admin",
                "Administrator",
                &["jira-administrators", "jira-users", "jira-software-users"],
            ),
            (
                "alice",
                "Alice Integration",
                &["jira-users", "jira-software-users"],
            ),
            (
                "bob",
                "Bob Builder",
                &["jira-users", "jira-software-users", "developers"],
            ),
            ("carol", "Carol Tester", &["jira-users", "qa"]),
            ("dave", "Dave Contractor", &["developers", "qa"]),
        ];
        let group_names = [
            "jira-administrators",
            "jira-users",
            "jira-software-users",
            "developers",
            "qa",
        ];
        let mut groups: Vec<Group> = group_names
            .iter()
            .map(|n| Group {
                name: (*n).to_owned(),
                members: BTreeSet::new(),
            })
            .collect();
        let mut users = Vec::new();
        for (i, (name, display, member_of)) in user_specs.iter().enumerate() {
            for gname in member_of.iter() {
                if let Some(g) = groups.iter_mut().find(|g| g.name == *gname) {
                    g.members.insert((*name).to_owned());
                }
            }
            users.push(User {
                name: (*name).to_owned(),
                key: if i == 0 {
                    (*name).to_owned()
                } else {
                    format!("JIRAUSER{}", 10100 + i)
                },
                display_name: (*display).to_owned(),
                email: format!("{name}@example.com"),
                password: (*name).to_owned(),
                pat: random_token(33),
                api_token: format!("ATATT3xFfGF0{}", random_token(48).replace(['+', '/'], "x")),
                account_id: format!("5b10a2844c20165700ede2{:02x}", i),
            });
        }
        let app_roles = vec![
            AppRole {
                key: "jira-software".into(),
                name: "Jira Software".into(),
                groups: vec!["jira-software-users".into(), "jira-administrators".into()],
            },
            AppRole {
                key: "jira-core".into(),
                name: "Jira Core".into(),
                groups: vec!["jira-users".into()],
            },
        ];
        let roles = vec![
            Role {
                id: ROLE_USERS,
                name: "Users".into(),
                description: "A project role that represents users in a project".into(),
            },
            Role {
                id: ROLE_DEVELOPERS,
                name: "Developers".into(),
                description: "A project role that represents developers in a project".into(),
            },
            Role {
                id: ROLE_ADMINISTRATORS,
                name: "Administrators".into(),
                description: "A project role that represents administrators in a project".into(),
            },
        ];
        let mut world = World {
            users,
            groups,
            app_roles,
            roles,
            projects: Vec::new(),
            schemes: Vec::new(),
            global_grants: HashMap::new(),
            applinks: Vec::new(),
            generation: 0,
            project_by_key: HashMap::new(),
            project_by_id: HashMap::new(),
            user_index: HashMap::new(),
            next_grant_id: 10000,
        };
        world.index_users();
        world
            .global_grants
            .insert("ADMINISTER", vec!["jira-administrators".into()]);
        world
            .global_grants
            .insert("SYSTEM_ADMIN", vec!["jira-administrators".into()]);
        for key in [
            "USER_PICKER",
            "CREATE_SHARED_OBJECTS",
            "MANAGE_GROUP_FILTER_SUBSCRIPTIONS",
            "BULK_CHANGE",
        ] {
            world.global_grants.insert(key, vec!["jira-users".into()]);
        }
        world.build_schemes();
        world.build_projects(projects, &mut rng);
        world
    }

    fn add_grants(&mut self, scheme: usize, perms: &[&str], h: Holder) {
        for perm in perms {
            let id = self.next_grant_id;
            self.next_grant_id += 1;
            if let Some(s) = self.schemes.get_mut(scheme) {
                s.grants.push(Grant {
                    id,
                    permission: (*perm).to_owned(),
                    holder: h.clone(),
                });
            }
        }
    }

    fn build_schemes(&mut self) {
        let all_project: Vec<&str> = catalog::project_keys().collect();
        let role_admin = ROLE_ADMINISTRATORS.to_string();
        let role_dev = ROLE_DEVELOPERS.to_string();
        self.schemes = vec![
            Scheme::new(0, "Default Permission Scheme", "This is the default Permission Scheme. Any new projects that are created will be assigned this scheme."),
            Scheme::new(10000, "Restricted Scheme", "Only Jira administrators and the project's Administrators role can browse."),
            Scheme::new(10001, "Developers Role Scheme", "Access through the project role Developers."),
            Scheme::new(10002, "Public Scheme", "Anyone, even anonymous users, can browse."),
            Scheme::new(10003, "Software Scheme", "Access through the jira-software application role."),
            Scheme::new(10004, "Lead Only Scheme", "Only the project lead has access."),
            Scheme::new(10005, "Reporter Browse Scheme", "Browse through the Reporter holder; creating needs the Administrators role."),
            Scheme::new(10006, "Integration User Scheme", "Access for the integration user only."),
        ];
        // Default: jira-users use the project, Administrators role does everything.
        self.add_grants(S_DEFAULT, USER_PERMS, holder("group", Some("jira-users")));
        self.add_grants(
            S_DEFAULT,
            &all_project,
            holder("projectRole", Some(&role_admin)),
        );
        self.add_grants(
            S_DEFAULT,
            &[
                "ASSIGN_ISSUES",
                "SCHEDULE_ISSUES",
                "MOVE_ISSUES",
                "VIEW_DEV_TOOLS",
                "MANAGE_WATCHERS",
            ],
            holder("projectRole", Some(&role_dev)),
        );
        self.add_grants(
            S_DEFAULT,
            &["EDIT_OWN_COMMENTS", "CLOSE_ISSUES"],
            holder("reporter", None),
        );
        self.add_grants(S_DEFAULT, &["RESOLVE_ISSUES"], holder("assignee", None));
        // Restricted: only admins.
        self.add_grants(
            S_RESTRICTED,
            &["BROWSE_PROJECTS"],
            holder("group", Some("jira-administrators")),
        );
        self.add_grants(
            S_RESTRICTED,
            &all_project,
            holder("projectRole", Some(&role_admin)),
        );
        // Developers role.
        self.add_grants(
            S_DEVELOPERS,
            USER_PERMS,
            holder("projectRole", Some(&role_dev)),
        );
        self.add_grants(
            S_DEVELOPERS,
            &all_project,
            holder("projectRole", Some(&role_admin)),
        );
        self.add_grants(
            S_DEVELOPERS,
            &["EDIT_ISSUES"],
            holder("userCustomField", Some("customfield_10100")),
        );
        self.add_grants(
            S_DEVELOPERS,
            &["ADD_COMMENTS"],
            holder("groupCustomField", Some("customfield_10101")),
        );
        // Public: anyone browses, logged-in users (any application role) create.
        self.add_grants(
            S_PUBLIC,
            &["BROWSE_PROJECTS", "VIEW_VOTERS_AND_WATCHERS"],
            holder("anyone", None),
        );
        self.add_grants(
            S_PUBLIC,
            &["CREATE_ISSUES", "ADD_COMMENTS"],
            holder("applicationRole", None),
        );
        self.add_grants(
            S_PUBLIC,
            &all_project,
            holder("projectRole", Some(&role_admin)),
        );
        // Software: the jira-software licence.
        self.add_grants(
            S_SOFTWARE,
            USER_PERMS,
            holder("applicationRole", Some("jira-software")),
        );
        self.add_grants(
            S_SOFTWARE,
            &["VIEW_DEV_TOOLS"],
            holder("group", Some("developers")),
        );
        self.add_grants(
            S_SOFTWARE,
            &all_project,
            holder("projectRole", Some(&role_admin)),
        );
        // Lead only.
        self.add_grants(S_LEAD_ONLY, &all_project, holder("projectLead", None));
        // Reporter browse: issue-level holder, so every logged-in user can browse at project level.
        self.add_grants(
            S_REPORTER,
            &["BROWSE_PROJECTS", "ADD_COMMENTS"],
            holder("reporter", None),
        );
        self.add_grants(S_REPORTER, &["EDIT_ISSUES"], holder("assignee", None));
        self.add_grants(
            S_REPORTER,
            &all_project,
            holder("projectRole", Some(&role_admin)),
        );
        // Integration user.
        self.add_grants(S_INTEGRATION, USER_PERMS, holder("user", Some("alice")));
        self.add_grants(
            S_INTEGRATION,
            &all_project,
            holder("projectRole", Some(&role_admin)),
        );
        for s in &mut self.schemes {
            s.reindex();
        }
    }

    fn build_projects(&mut self, count: usize, rng: &mut StdRng) {
        let leads = ["admin", "bob", "carol", "dave", "alice"];
        for i in 0..count {
            let (key, name) = match NAMED_PROJECTS.get(i) {
                Some((k, n)) => ((*k).to_owned(), (*n).to_owned()),
                None => {
                    let n = i + 1 - NAMED_PROJECTS.len();
                    (format!("P{n:04}"), format!("Project {n:04}"))
                }
            };
            let scheme = match FIRST_SCHEMES.get(i) {
                Some(s) => *s,
                None => {
                    // Weighted so the integration user sees most but not all projects.
                    let r: u32 = rng.gen_range(0..100);
                    match r {
                        0..=34 => S_DEFAULT,
                        35..=44 => S_RESTRICTED,
                        45..=56 => S_DEVELOPERS,
                        57..=64 => S_PUBLIC,
                        65..=79 => S_SOFTWARE,
                        80..=84 => S_LEAD_ONLY,
                        85..=89 => S_REPORTER,
                        _ => S_INTEGRATION,
                    }
                }
            };
            // alice leads a project only rarely; LEAD (index 5) is led by bob so she cannot see it.
            let lead = if i == 5 {
                "bob"
            } else {
                let upper = if rng.gen_bool(0.1) { 5 } else { 4 };
                leads[rng.gen_range(0..upper)]
            };
            let mut actors: HashMap<i64, Vec<Actor>> = HashMap::new();
            let admins = actors.entry(ROLE_ADMINISTRATORS).or_default();
            admins.push(Actor {
                kind: ActorType::User,
                name: "admin".into(),
            });
            admins.push(Actor {
                kind: ActorType::Group,
                name: "jira-administrators".into(),
            });
            let devs = actors.entry(ROLE_DEVELOPERS).or_default();
            // DEVX (index 2) always has alice as a Developer so the role path is visible early.
            if i == 2 || rng.gen_bool(0.4) {
                devs.push(Actor {
                    kind: ActorType::User,
                    name: "alice".into(),
                });
            }
            if rng.gen_bool(0.6) {
                devs.push(Actor {
                    kind: ActorType::User,
                    name: "bob".into(),
                });
            }
            if rng.gen_bool(0.5) {
                devs.push(Actor {
                    kind: ActorType::Group,
                    name: "developers".into(),
                });
            }
            let users_role = actors.entry(ROLE_USERS).or_default();
            if rng.gen_bool(0.6) {
                users_role.push(Actor {
                    kind: ActorType::Group,
                    name: "jira-users".into(),
                });
            }
            if rng.gen_bool(0.3) {
                users_role.push(Actor {
                    kind: ActorType::User,
                    name: "carol".into(),
                });
            }
            let id = 10000 + i as u64;
            let type_key = if rng.gen_bool(0.7) {
                "software"
            } else {
                "business"
            };
            self.project_by_key.insert(key.clone(), self.projects.len());
            self.project_by_id.insert(id, self.projects.len());
            self.projects.push(Project {
                id,
                description: format!("{name} ({type_key} project)"),
                key,
                name,
                lead: lead.to_owned(),
                type_key,
                scheme,
                actors,
            });
        }
    }

    // ---- look-ups -------------------------------------------------------------------------

    /// A user by login name.
    pub fn user(&self, name: &str) -> Option<&User> {
        if let Some(u) = self.user_index.get(name).and_then(|&i| self.users.get(i)) {
            if u.name == name {
                return Some(u);
            }
        }
        self.users.iter().find(|u| u.name == name)
    }

    /// Rebuilds the login name → index map (a group page of 50 members looked up 50 users by
    /// scanning all 10,000: ~2 ms a page, most of a large fix planning's time on loopback).
    fn index_users(&mut self) {
        self.user_index = self
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.name.clone(), i))
            .collect();
    }

    /// How Jira names the user `name` in grants and role actors: Cloud by `accountId` (the
    /// permission-scheme holder `user` takes "user account ID" as parameter and value; role actors
    /// carry `actorUser.accountId`, their `name` "is no longer available"), Server/DC by login
    /// name. An unknown name is returned as given.
    pub fn user_ref(&self, name: &str, cloud: bool) -> String {
        match self.user(name) {
            Some(u) if cloud => u.account_id.clone(),
            _ => name.to_owned(),
        }
    }

    /// The user a request names: on Cloud by `accountId` (a login name is still accepted), on
    /// Server/DC by login name.
    pub fn user_by_ref(&self, reference: &str, cloud: bool) -> Option<&User> {
        if cloud {
            if let Some(u) = self.users.iter().find(|u| u.account_id == reference) {
                return Some(u);
            }
        }
        self.user(reference)
    }

    /// A group by name.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// Whether `user` is a member of `group`.
    pub fn in_group(&self, user: &str, group: &str) -> bool {
        self.group(group).is_some_and(|g| g.members.contains(user))
    }

    /// The groups of a user, sorted.
    pub fn groups_of(&self, user: &str) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .groups
            .iter()
            .filter(|g| g.members.contains(user))
            .map(|g| g.name.as_str())
            .collect();
        v.sort_unstable();
        v
    }

    /// The application roles of a user (through its groups).
    pub fn app_roles_of(&self, user: &str) -> Vec<&AppRole> {
        self.app_roles
            .iter()
            .filter(|r| r.groups.iter().any(|g| self.in_group(user, g)))
            .collect()
    }

    /// A project by key (case-insensitive, as Jira) or numeric id.
    pub fn project(&self, key_or_id: &str) -> Option<&Project> {
        self.project_index(key_or_id)
            .and_then(|i| self.projects.get(i))
    }

    fn project_index(&self, key_or_id: &str) -> Option<usize> {
        if let Ok(id) = key_or_id.parse::<u64>() {
            return self.project_by_id.get(&id).copied();
        }
        self.project_by_key
            .get(key_or_id)
            .or_else(|| self.project_by_key.get(&key_or_id.to_ascii_uppercase()))
            .copied()
    }

    /// A role by id or name.
    pub fn role(&self, id_or_name: &str) -> Option<&Role> {
        match id_or_name.parse::<i64>() {
            Ok(id) => self.roles.iter().find(|r| r.id == id),
            Err(_) => self
                .roles
                .iter()
                .find(|r| r.name.eq_ignore_ascii_case(id_or_name)),
        }
    }

    fn scheme_index(&self, id_or_name: &str) -> Option<usize> {
        match id_or_name.parse::<i64>() {
            Ok(id) => self.schemes.iter().position(|s| s.id == id),
            Err(_) => self
                .schemes
                .iter()
                .position(|s| s.name.eq_ignore_ascii_case(id_or_name)),
        }
    }

    // ---- the evaluator ----------------------------------------------------------------------

    /// Whether a logged-in user (or anonymous, `None`) holds a global permission.
    pub fn has_global(&self, user: Option<&str>, key: &str) -> bool {
        let Some(user) = user else { return false };
        self.global_grants
            .get(key)
            .is_some_and(|groups| groups.iter().any(|g| self.in_group(user, g)))
    }

    /// Whether `user` (None = anonymous) holds the project permission `key` (a current key) in
    /// `project`. Global ADMINISTER does not imply project permissions, as in Jira.
    pub fn has_project_perm(&self, user: Option<&str>, project: &Project, key: &str) -> bool {
        let Some(scheme) = self.schemes.get(project.scheme) else {
            return false;
        };
        scheme
            .grants_for(key)
            .any(|g| self.holder_matches(&g.holder, user, project))
    }

    fn holder_matches(&self, h: &Holder, user: Option<&str>, project: &Project) -> bool {
        let param = h.parameter.as_deref();
        if h.kind == "anyone" {
            return true;
        }
        let Some(user) = user else { return false };
        match h.kind.as_str() {
            "group" => param.is_some_and(|g| self.in_group(user, g)),
            "user" => param == Some(user),
            "projectRole" => param
                .and_then(|r| r.parse::<i64>().ok())
                .and_then(|r| project.actors.get(&r))
                .is_some_and(|actors| {
                    actors.iter().any(|a| match a.kind {
                        ActorType::User => a.name == user,
                        ActorType::Group => self.in_group(user, &a.name),
                    })
                }),
            "applicationRole" => match param {
                None | Some("") => true,
                Some(key) => self.app_roles_of(user).iter().any(|r| r.key == key),
            },
            "projectLead" => project.lead == user,
            // Issue-level holders: at project level they hold for any logged-in user, so a
            // "Reporter" Browse grant makes the project visible to everyone logged in. Jira source,
            // security/type/AbstractIssueFieldSecurityType.java, hasPermission javadoc: "If the
            // entity is a Project the permission is always true as report and assignee have no
            // context in a project only on the issues with the project"; a null user → false.
            "reporter"
            | "assignee"
            | "userCustomField"
            | "groupCustomField"
            | "reporterWithCreatePermission"
            | "assigneeWithAssignablePermission" => true,
            _ => false,
        }
    }

    /// Ground truth for any key (current, legacy, global or project).
    pub fn has_permission(&self, user: Option<&str>, project_key: &str, permission: &str) -> bool {
        let Some(def) = catalog::resolve(permission) else {
            return false;
        };
        match def.kind {
            PermType::Global => self.has_global(user, def.key),
            PermType::Project => self
                .project(project_key)
                .is_some_and(|p| self.has_project_perm(user, p, def.key)),
        }
    }

    /// Whether the user holds a project permission in at least one project (Jira's answer when
    /// `mypermissions` has no project context).
    pub fn has_in_any_project(&self, user: Option<&str>, key: &str) -> bool {
        self.projects
            .iter()
            .any(|p| self.has_project_perm(user, p, key))
    }

    /// Projects the user can *see* (Jira's `ProjectAction.VIEW_PROJECT`: global ADMINISTER,
    /// BROWSE_PROJECTS or ADMINISTER_PROJECTS), which is what `GET /rest/api/2/project` lists.
    /// Source: Jira's `com.atlassian.jira.bc.project.ProjectAction`, `VIEW_PROJECT(new int[]
    /// {Permissions.ADMINISTER, Permissions.BROWSE, Permissions.PROJECT_ADMIN}, …)`.
    pub fn visible_projects<'a>(
        &'a self,
        user: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Project> + 'a {
        let admin = self.has_global(user, "ADMINISTER");
        self.projects
            .iter()
            .filter(move |p| admin || self.can_view_project(user, p))
    }

    /// VIEW_PROJECT for one project, without the global-admin shortcut.
    pub fn can_view_project(&self, user: Option<&str>, p: &Project) -> bool {
        self.has_project_perm(user, p, "BROWSE_PROJECTS")
            || self.has_project_perm(user, p, "ADMINISTER_PROJECTS")
    }

    // ---- mutations ---------------------------------------------------------------------------

    fn validate_holder(
        &self,
        holder_type: &str,
        parameter: Option<&str>,
    ) -> Result<Holder, String> {
        if !HOLDER_TYPES.contains(&holder_type) {
            return Err(format!(
                "unknown holder type `{holder_type}` (expected one of: {})",
                HOLDER_TYPES.join(", ")
            ));
        }
        let parameter = parameter.filter(|p| !p.is_empty());
        let param = match (holder_type, parameter) {
            ("anyone" | "projectLead" | "reporter" | "assignee", _) => None,
            ("applicationRole", None) => None,
            ("applicationRole", Some(k)) => {
                if !self.app_roles.iter().any(|r| r.key == k) {
                    return Err(format!("unknown application role `{k}`"));
                }
                Some(k.to_owned())
            }
            ("group", Some(g)) => {
                self.group(g)
                    .ok_or_else(|| format!("unknown group `{g}`"))?;
                Some(g.to_owned())
            }
            ("user", Some(u)) => {
                self.user(u).ok_or_else(|| format!("unknown user `{u}`"))?;
                Some(u.to_owned())
            }
            ("projectRole", Some(r)) => Some(
                self.role(r)
                    .ok_or_else(|| format!("unknown project role `{r}`"))?
                    .id
                    .to_string(),
            ),
            ("userCustomField" | "groupCustomField", Some(f)) => Some(f.to_owned()),
            (t, None) => return Err(format!("holder type `{t}` needs a parameter")),
            _ => None,
        };
        Ok(Holder {
            kind: holder_type.to_owned(),
            parameter: param,
        })
    }

    fn scheme_and_perm(
        &self,
        scheme: &str,
        permission: &str,
    ) -> Result<(usize, &'static str), String> {
        let si = self
            .scheme_index(scheme)
            .ok_or_else(|| format!("unknown permission scheme `{scheme}`"))?;
        let def = catalog::resolve(permission)
            .filter(|d| d.kind == PermType::Project)
            .ok_or_else(|| format!("unknown project permission `{permission}`"))?;
        Ok((si, def.key))
    }

    /// Add a grant (no-op if the same grant exists).
    pub fn grant(
        &mut self,
        scheme: &str,
        permission: &str,
        holder_type: &str,
        parameter: Option<&str>,
    ) -> Result<(), String> {
        let (si, key) = self.scheme_and_perm(scheme, permission)?;
        let h = self.validate_holder(holder_type, parameter)?;
        let id = self.next_grant_id;
        let s = self.schemes.get_mut(si).ok_or("scheme vanished")?;
        if !s
            .grants
            .iter()
            .any(|g| g.permission == key && g.holder == h)
        {
            s.grants.push(Grant {
                id,
                permission: key.to_owned(),
                holder: h,
            });
            s.reindex();
            self.next_grant_id += 1;
        }
        self.generation += 1;
        Ok(())
    }

    /// Remove a grant; Err when there was no such grant.
    pub fn revoke(
        &mut self,
        scheme: &str,
        permission: &str,
        holder_type: &str,
        parameter: Option<&str>,
    ) -> Result<(), String> {
        let (si, key) = self.scheme_and_perm(scheme, permission)?;
        let h = self.validate_holder(holder_type, parameter)?;
        let s = self.schemes.get_mut(si).ok_or("scheme vanished")?;
        let before = s.grants.len();
        s.grants.retain(|g| !(g.permission == key && g.holder == h));
        if s.grants.len() == before {
            return Err(format!("no such grant of {key} in `{}`", s.name));
        }
        s.reindex();
        self.generation += 1;
        Ok(())
    }

    /// Add or remove a user from a group.
    pub fn set_group_member(
        &mut self,
        group: &str,
        user: &str,
        member: bool,
    ) -> Result<(), String> {
        if self.user(user).is_none() {
            return Err(format!("unknown user `{user}`"));
        }
        let g = self
            .groups
            .iter_mut()
            .find(|g| g.name == group)
            .ok_or_else(|| format!("unknown group `{group}`"))?;
        if member {
            g.members.insert(user.to_owned());
        } else {
            g.members.remove(user);
        }
        self.generation += 1;
        Ok(())
    }

    /// Add or remove a role actor in a project.
    pub fn set_role_actor(
        &mut self,
        project: &str,
        role: &str,
        kind: ActorType,
        name: &str,
        present: bool,
    ) -> Result<(), String> {
        let role_id = self
            .role(role)
            .ok_or_else(|| format!("unknown project role `{role}`"))?
            .id;
        let exists = match kind {
            ActorType::User => self.user(name).is_some(),
            ActorType::Group => self.group(name).is_some(),
        };
        if !exists {
            return Err(format!("unknown {kind:?} `{name}`").to_lowercase());
        }
        let pi = self
            .project_index(project)
            .ok_or_else(|| format!("unknown project `{project}`"))?;
        let p = self.projects.get_mut(pi).ok_or("project vanished")?;
        let actors = p.actors.entry(role_id).or_default();
        let actor = Actor {
            kind,
            name: name.to_owned(),
        };
        if present {
            if !actors.contains(&actor) {
                actors.push(actor);
            }
        } else {
            actors.retain(|a| *a != actor);
        }
        self.generation += 1;
        Ok(())
    }

    /// Move a project to another permission scheme.
    pub fn set_project_scheme(&mut self, project: &str, scheme: &str) -> Result<(), String> {
        let si = self
            .scheme_index(scheme)
            .ok_or_else(|| format!("unknown permission scheme `{scheme}`"))?;
        let pi = self
            .project_index(project)
            .ok_or_else(|| format!("unknown project `{project}`"))?;
        if let Some(p) = self.projects.get_mut(pi) {
            p.scheme = si;
        }
        self.generation += 1;
        Ok(())
    }

    /// Add `n` extra users (`user00001`…), members of the broad groups `jira-users` and
    /// `jira-software-users`, so a group grant shows its real reach. Opt-in: seeded worlds keep
    /// their five users unless asked.
    pub fn add_broad_users(&mut self, n: usize) {
        let start = self.users.len();
        for i in 0..n {
            let name = format!("user{:05}", i + 1);
            for g in ["jira-users", "jira-software-users"] {
                if let Some(g) = self.groups.iter_mut().find(|x| x.name == g) {
                    g.members.insert(name.clone());
                }
            }
            self.users.push(User {
                key: format!("JIRAUSER{}", 20000 + i),
                display_name: format!("User {:05}", i + 1),
                email: format!("{name}@example.com"),
                password: name.clone(),
                pat: random_token(33),
                api_token: format!("ATATT3xFfGF0{}", random_token(48).replace(['+', '/'], "x")),
                account_id: format!("5b10a2844c20165700ee{:06x}", start + i),
                name,
            });
        }
        self.index_users();
        self.generation += 1;
    }

    /// A new project role (`POST /rest/api/2/role`); Err(409 text) when the name is taken.
    pub fn create_role(&mut self, name: &str, description: &str) -> Result<Role, String> {
        if self.roles.iter().any(|r| r.name.eq_ignore_ascii_case(name)) {
            return Err(format!("A project role with name '{name}' already exists."));
        }
        let id = self.roles.iter().map(|r| r.id).max().unwrap_or(10000) + 1;
        let role = Role {
            id,
            name: name.to_owned(),
            description: description.to_owned(),
        };
        self.roles.push(role.clone());
        self.generation += 1;
        Ok(role)
    }

    /// Whether any scheme grants something to role `id`.
    pub fn role_in_schemes(&self, id: i64) -> bool {
        let p = id.to_string();
        self.schemes.iter().any(|s| {
            s.grants.iter().any(|g| {
                g.holder.kind == "projectRole" && g.holder.parameter.as_deref() == Some(&p)
            })
        })
    }

    /// Delete a role and its actors everywhere (caller checks scheme use first).
    pub fn delete_role(&mut self, id: i64) -> bool {
        let before = self.roles.len();
        self.roles.retain(|r| r.id != id);
        for p in &mut self.projects {
            p.actors.remove(&id);
        }
        self.generation += 1;
        self.roles.len() != before
    }

    /// Add a grant and return it (`POST /permissionscheme/{id}/permission`): always a new grant.
    pub fn add_grant(
        &mut self,
        scheme_id: i64,
        permission: &str,
        holder_type: &str,
        parameter: Option<&str>,
    ) -> Result<(usize, Grant), String> {
        let si = self
            .schemes
            .iter()
            .position(|s| s.id == scheme_id)
            .ok_or_else(|| format!("unknown permission scheme `{scheme_id}`"))?;
        let def = catalog::resolve(permission)
            .filter(|d| d.kind == PermType::Project)
            .ok_or_else(|| format!("unknown project permission `{permission}`"))?;
        let holder = self.validate_holder(holder_type, parameter)?;
        let grant = Grant {
            id: self.next_grant_id,
            permission: def.key.to_owned(),
            holder,
        };
        self.next_grant_id += 1;
        let s = self.schemes.get_mut(si).ok_or("scheme vanished")?;
        s.grants.push(grant.clone());
        s.reindex();
        self.generation += 1;
        Ok((si, grant))
    }

    /// Remove grant `grant_id` from scheme `scheme_id`; false when either is unknown.
    pub fn delete_grant(&mut self, scheme_id: i64, grant_id: i64) -> bool {
        let Some(s) = self.schemes.iter_mut().find(|s| s.id == scheme_id) else {
            return false;
        };
        let before = s.grants.len();
        s.grants.retain(|g| g.id != grant_id);
        let removed = s.grants.len() != before;
        if removed {
            s.reindex();
            self.generation += 1;
        }
        removed
    }

    /// Every (user, project, permission) triple the evaluator grants, for `permissions` (project
    /// keys), over all users and projects: the ground truth tests diff.
    pub fn truth(&self, permissions: &[&str]) -> BTreeSet<(String, String, String)> {
        let mut out = BTreeSet::new();
        for p in &self.projects {
            for perm in permissions {
                for u in &self.users {
                    if self.has_project_perm(Some(&u.name), p, perm) {
                        out.insert((u.name.clone(), p.key.clone(), (*perm).to_owned()));
                    }
                }
            }
        }
        out
    }

    /// Record an application link.
    pub fn add_applink(&mut self, link: AppLink) {
        self.applinks.push(link);
        self.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_spread() {
        let a = World::generate(300, 7);
        let b = World::generate(300, 7);
        let keys = |w: &World| {
            w.projects
                .iter()
                .map(|p| (p.key.clone(), p.scheme, p.lead.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&a), keys(&b));
        let visible = a.visible_projects(Some("alice")).count();
        assert!(visible > 150 && visible < 300, "alice sees {visible}");
        let cannot_create = a
            .visible_projects(Some("alice"))
            .filter(|p| !a.has_project_perm(Some("alice"), p, "CREATE_ISSUES"))
            .count();
        assert!(cannot_create > 0);
        // Every holder type is used by some scheme.
        for t in HOLDER_TYPES {
            assert!(
                a.schemes
                    .iter()
                    .any(|s| s.grants.iter().any(|g| g.holder.kind == *t)),
                "{t}"
            );
        }
    }

    #[test]
    fn evaluator_follows_jira_rules() {
        let mut w = World::generate(8, 1);
        // Restricted: alice no, admin yes (via group), anonymous no.
        assert!(!w.has_permission(Some("alice"), "OPS", "BROWSE_PROJECTS"));
        assert!(w.has_permission(Some("admin"), "OPS", "BROWSE"));
        // Public: anonymous browses but cannot create.
        assert!(w.has_permission(None, "WEB", "BROWSE_PROJECTS"));
        assert!(!w.has_permission(None, "WEB", "CREATE_ISSUES"));
        assert!(w.has_permission(Some("dave"), "WEB", "CREATE_ISSUES"));
        // Reporter browse: any logged-in user browses, creating needs the role.
        assert!(w.has_permission(Some("dave"), "SUP", "BROWSE_PROJECTS"));
        assert!(!w.has_permission(None, "SUP", "BROWSE_PROJECTS"));
        assert!(!w.has_permission(Some("alice"), "SUP", "CREATE_ISSUES"));
        // Role actors are per project.
        assert!(w.has_permission(Some("alice"), "DEVX", "BROWSE_PROJECTS"));
        w.set_role_actor("DEVX", "Developers", ActorType::User, "alice", false)
            .unwrap();
        assert!(!w.has_permission(Some("alice"), "DEVX", "BROWSE_PROJECTS"));
        // Lead only.
        assert!(!w.has_permission(Some("alice"), "LEAD", "BROWSE_PROJECTS"));
        assert!(w.has_permission(Some("bob"), "LEAD", "BROWSE_PROJECTS"));
        // Global ADMINISTER does not imply project permissions.
        assert!(w.has_permission(Some("admin"), "X", "ADMINISTER"));
        assert!(!w.has_permission(Some("admin"), "LEAD", "BROWSE_PROJECTS"));
        // Grants and group membership flip results.
        w.grant(
            "Restricted Scheme",
            "BROWSE_PROJECTS",
            "user",
            Some("alice"),
        )
        .unwrap();
        assert!(w.has_permission(Some("alice"), "OPS", "BROWSE_PROJECTS"));
        w.revoke("10000", "BROWSE_PROJECTS", "user", Some("alice"))
            .unwrap();
        assert!(!w.has_permission(Some("alice"), "OPS", "BROWSE_PROJECTS"));
        assert!(w
            .revoke("10000", "BROWSE_PROJECTS", "user", Some("alice"))
            .is_err());
        w.set_group_member("jira-administrators", "alice", true)
            .unwrap();
        assert!(w.has_permission(Some("alice"), "OPS", "BROWSE_PROJECTS"));
        assert!(w.grant("nope", "BROWSE", "anyone", None).is_err());
        assert!(w.grant("0", "BROWSE", "wizard", None).is_err());
        assert!(w
            .grant("0", "BROWSE", "group", Some("no-such-group"))
            .is_err());
    }
}
