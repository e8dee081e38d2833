//! Console accounts and sessions in Postgres: password hashing (argon2), the users
//! table, and the sessions behind the console's cookie. Shared by the HTTP API and
//! the `hotline user …` commands.
//!
//! A session cookie is `ID.SECRET` (both random, base64url). Only `SHA-256(SECRET)`
//! is stored, found by `ID` and compared in constant time, so neither a copy of the
//! table nor the timing of a lookup helps anyone forge a cookie.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use subtle::ConstantTimeEq;

use crate::routing::OrganisationCode;

/// What a console user may do; see the roles matrix in [`super::auth`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A contact-center operator: takes calls, registers appeals, sees all appeals.
    Specialist,
    /// An organisation's employee: sees and completes that organisation's appeals.
    Staff,
    /// Administrator: everything.
    Admin,
}

impl Role {
    /// The name stored in `console_user.role` and used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Specialist => "specialist",
            Self::Staff => "staff",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `specialist`, `staff` or `admin`; anything else names the three.
impl FromStr for Role {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "specialist" => Ok(Self::Specialist),
            "staff" => Ok(Self::Staff),
            "admin" => Ok(Self::Admin),
            other => Err(format!(
                "unknown role {other:?}: expected specialist, staff or admin"
            )),
        }
    }
}

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// The database refused the row or could not be reached.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The password is too short to be worth hashing.
    #[error(
        "the password must be at least {MIN_PASSWORD_CHARS} characters / пароль должен быть не короче {MIN_PASSWORD_CHARS} символов"
    )]
    WeakPassword,
    /// No user with this login.
    #[error("no console user with login {0:?}")]
    UnknownLogin(String),
    /// The hashing library failed (out of memory, bad parameters).
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// Shortest password accepted: long enough that argon2 is not the only defence.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Hashes a password into a PHC string (`$argon2id$v=19$...`) with a random salt and
/// argon2's recommended default cost. Slow on purpose (tens of milliseconds): call it
/// from a blocking thread in async code.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::WeakPassword);
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| AccountError::Hashing(error.to_string()))
}

/// True when `password` matches the stored PHC string. A malformed stored hash never
/// matches. Slow on purpose, like [`hash_password`].
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A hash of nothing anyone knows, checked when a login does not exist so that the
/// answer takes as long as for a real login and timing does not reveal which exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let mut secret = [0_u8; 24];
        fill_random(&mut secret);
        hash_password(&URL_SAFE_NO_PAD.encode(secret)).unwrap_or_default()
    })
}

/// A console user as the API and the checks need them (never the password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsoleUser {
    /// Database id, recorded as author of appeals.
    pub id: i64,
    /// What they sign in with.
    pub login: String,
    /// Shown in the console and on appeals they handled.
    pub full_name: String,
    /// What they may do.
    pub role: Role,
    /// Staff only: whose appeals they handle.
    pub organisation: Option<OrganisationCode>,
    /// Specialists: their directory row (their phone), for the call console.
    pub specialist_id: Option<i64>,
    /// False: refused at sign-in and on every request.
    pub active: bool,
}

/// The columns of [`ConsoleUser`], as stored.
#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    login: String,
    full_name: String,
    role: String,
    organisation: Option<String>,
    specialist_id: Option<i64>,
    active: bool,
}

impl UserRow {
    /// The user; a role the schema's rule would have refused is a bug, reported as such.
    fn into_user(self) -> Result<ConsoleUser, sqlx::Error> {
        let role = self
            .role
            .parse()
            .map_err(|error: String| sqlx::Error::Decode(error.into()))?;
        Ok(ConsoleUser {
            id: self.id,
            login: self.login,
            full_name: self.full_name,
            role,
            organisation: self.organisation.map(OrganisationCode),
            specialist_id: self.specialist_id,
            active: self.active,
        })
    }
}

const USER_COLUMNS: &str = "id, login, full_name, role, organisation, specialist_id, active";

/// A new console account, as `hotline user add` or `seed-demo-users` describe it.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Lowercase login (the schema's `console_user_login_format`).
    pub login: String,
    /// Full name.
    pub full_name: String,
    /// Role.
    pub role: Role,
    /// Required for staff, refused for the others.
    pub organisation: Option<OrganisationCode>,
    /// Specialists only: their directory row.
    pub specialist_id: Option<i64>,
}

/// Creates an account, or with `replace` updates the one with the same login (and
/// reactivates it). Returns its id. The password is hashed here.
pub async fn save_user(
    pool: &PgPool,
    user: &NewUser,
    password: &str,
    replace: bool,
) -> Result<i64, AccountError> {
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| AccountError::Hashing(error.to_string()))??;
    let conflict = if replace {
        "ON CONFLICT (login) DO UPDATE SET password_hash = EXCLUDED.password_hash, \
         full_name = EXCLUDED.full_name, role = EXCLUDED.role, \
         organisation = EXCLUDED.organisation, specialist_id = EXCLUDED.specialist_id, \
         active = true"
    } else {
        ""
    };
    let sql = format!(
        "INSERT INTO console_user (login, password_hash, full_name, role, organisation, specialist_id) \
         VALUES ($1, $2, $3, $4, $5, $6) {conflict} RETURNING id"
    );
    let id = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(&user.login)
        .bind(&hash)
        .bind(&user.full_name)
        .bind(user.role.as_str())
        .bind(user.organisation.as_ref().map(|code| code.0.as_str()))
        .bind(user.specialist_id)
        .fetch_one(pool)
        .await?;
    Ok(id)
}

/// Sets a new password. The schema's `console_user_sign_out` trigger then signs the
/// user out everywhere (their sessions are deleted, their event streams close). `by`
/// names the console user making the change, for the audit of roster changes
/// (`None`: the command line, audited under the database user only).
pub async fn set_password(
    pool: &PgPool,
    login: &str,
    password: &str,
    by: Option<&str>,
) -> Result<(), AccountError> {
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| AccountError::Hashing(error.to_string()))??;
    let mut tx = pool.begin().await?;
    if let Some(by) = by {
        super::audit_view::name_console_user(&mut tx, by).await?;
    }
    let id: Option<i64> = sqlx::query_scalar(
        "UPDATE console_user SET password_hash = $2 WHERE login = $1 RETURNING id",
    )
    .bind(login)
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    id.map(drop)
        .ok_or_else(|| AccountError::UnknownLogin(login.to_owned()))
}

/// Checks a login and password. `Ok(None)`: wrong login or password (indistinguishable
/// by answer or by time). An inactive user with the right password is returned, so
/// the caller can say "deactivated" to someone who proved who they are.
pub async fn authenticate(
    pool: &PgPool,
    login: &str,
    password: &str,
) -> Result<Option<ConsoleUser>, sqlx::Error> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT password_hash, id FROM console_user WHERE login = $1")
            .bind(login)
            .fetch_optional(pool)
            .await?;
    let (stored, id) = match row {
        Some((hash, id)) => (hash, Some(id)),
        None => (decoy_hash().to_owned(), None),
    };
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .unwrap_or(false);
    match (id, matches) {
        (Some(id), true) => user_by_id(pool, id).await,
        _ => Ok(None),
    }
}

/// One user by id.
pub async fn user_by_id(pool: &PgPool, id: i64) -> Result<Option<ConsoleUser>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM console_user WHERE id = $1");
    sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .map(UserRow::into_user)
        .transpose()
}

/// A session just opened: the cookie value to hand to the browser, once.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSession {
    /// `ID.SECRET`; the secret is stored nowhere else.
    pub cookie_value: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// The cookie value is a credential: never in logs.
impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Opens a session for `user_id` lasting `ttl`, and deletes expired sessions of
/// everyone (sign-ins are rare enough to carry that housekeeping).
pub async fn open_session(
    pool: &PgPool,
    user_id: i64,
    ttl: chrono::Duration,
) -> Result<NewSession, sqlx::Error> {
    let mut id = [0_u8; 16];
    let mut secret = [0_u8; 32];
    fill_random(&mut id);
    fill_random(&mut secret);
    let id = URL_SAFE_NO_PAD.encode(id);
    let expires_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO console_session (id, secret_hash, user_id, expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING expires_at",
    )
    .bind(&id)
    .bind(Sha256::digest(secret).as_slice())
    .bind(user_id)
    .bind(ttl.num_seconds() as f64)
    .fetch_one(pool)
    .await?;
    sqlx::query("DELETE FROM console_session WHERE expires_at < now()")
        .execute(pool)
        .await?;
    Ok(NewSession {
        cookie_value: format!("{id}.{}", URL_SAFE_NO_PAD.encode(secret)),
        expires_at,
    })
}

/// A live session and its (active) user.
#[derive(Clone, Debug)]
pub struct SessionUser {
    /// The session's public id, for signing out.
    pub session_id: String,
    /// When the session ends; live streams close then.
    pub expires_at: DateTime<Utc>,
    /// Who is signed in.
    pub user: ConsoleUser,
}

/// The session a cookie value names, if it is unexpired, was used within `idle`, its
/// secret matches and its user is active; using it counts as activity. Anything
/// malformed is simply no session.
pub async fn session_user(
    pool: &PgPool,
    cookie_value: &str,
    idle: chrono::Duration,
) -> Result<Option<SessionUser>, sqlx::Error> {
    let Some((id, secret)) = cookie_value.split_once('.') else {
        return Ok(None);
    };
    let Ok(secret) = URL_SAFE_NO_PAD.decode(secret) else {
        return Ok(None);
    };
    if id.len() > 32 {
        return Ok(None);
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        secret_hash: Vec<u8>,
        expires_at: DateTime<Utc>,
        /// Whether the last use is old enough to be worth writing down again.
        stale: bool,
        #[sqlx(flatten)]
        user: UserRow,
    }
    let sql = format!(
        "SELECT s.secret_hash, s.expires_at, s.last_seen_at < now() - interval '30 seconds' AS stale, \
         {} FROM console_session s \
         JOIN console_user u ON u.id = s.user_id \
         WHERE s.id = $1 AND s.expires_at > now() AND u.active \
         AND s.last_seen_at > now() - make_interval(secs => $2)",
        USER_COLUMNS
            .split(", ")
            .map(|column| format!("u.{column}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let Some(row) = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(idle.num_seconds() as f64)
        .fetch_optional(pool)
        .await?
    else {
        return Ok(None);
    };
    let presented = Sha256::digest(&secret);
    if !bool::from(presented.as_slice().ct_eq(&row.secret_hash)) {
        return Ok(None);
    }
    // At most one write per session every 30 s, however busy the console.
    if row.stale {
        sqlx::query("UPDATE console_session SET last_seen_at = now() WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await?;
    }
    Ok(Some(SessionUser {
        session_id: id.to_owned(),
        expires_at: row.expires_at,
        user: row.user.into_user()?,
    }))
}

/// Whether a session is still there (not signed out, swept or replaced), whatever
/// its age: open event streams ask after missing notifications.
pub async fn session_exists(pool: &PgPool, session_id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM console_session WHERE id = $1)")
        .bind(session_id)
        .fetch_one(pool)
        .await
}

/// Ends a session (signing out).
pub async fn close_session(pool: &PgPool, session_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM console_session WHERE id = $1")
        .bind(session_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Fills `buffer` from the operating system's random source. Without one there is no
/// safe session or salt at all, so failing is the only honest answer.
fn fill_random(buffer: &mut [u8]) {
    getrandom::fill(buffer).expect("the operating system's random source is unavailable");
}

/// The demo password of every `seed-demo-users` login (README, "Console").
pub const DEMO_PASSWORD: &str = "hotline-demo";

/// The demo logins `hotline seed-demo-users` creates (after `hotline seed-demo`): one
/// of each role, and staff of a ministry, of its hospital and of the city
/// administration, to show who sees whose appeals.
pub async fn seed_demo_users(pool: &PgPool) -> Result<Vec<NewUser>, AccountError> {
    let phone = async |endpoint: &str| -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar("SELECT id FROM specialist WHERE endpoint = $1")
            .bind(endpoint)
            .fetch_optional(pool)
            .await
    };
    let (specialist, specialist2) = (phone("PJSIP/spec01").await?, phone("PJSIP/spec02").await?);
    let staff = |login: &str, name: &str, organisation: &str| NewUser {
        login: login.to_owned(),
        full_name: name.to_owned(),
        role: Role::Staff,
        organisation: Some(OrganisationCode(organisation.to_owned())),
        specialist_id: None,
    };
    let users = vec![
        NewUser {
            login: "operator1".to_owned(),
            full_name: "Оператор Анна Сергеевна".to_owned(),
            role: Role::Specialist,
            organisation: None,
            specialist_id: specialist,
        },
        NewUser {
            login: "operator2".to_owned(),
            full_name: "Оператор Дмитрий Олегович".to_owned(),
            role: Role::Specialist,
            organisation: None,
            specialist_id: specialist2,
        },
        NewUser {
            login: "admin".to_owned(),
            full_name: "Администратор контакт-центра".to_owned(),
            role: Role::Admin,
            organisation: None,
            specialist_id: None,
        },
        staff("minzdrav1", "Петрова Елена Викторовна", "minzdrav"),
        staff("okb1", "Кузнецова Ольга Александровна", "okb"),
        staff("adm-irkutsk1", "Белова Светлана Юрьевна", "adm-irkutsk"),
    ];
    for user in &users {
        save_user(pool, user, DEMO_PASSWORD, true).await?;
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horsf", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(
            hash_password("1234567"),
            Err(AccountError::WeakPassword)
        ));
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [Role::Specialist, Role::Staff, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("operator".parse::<Role>().is_err());
    }

    #[test]
    fn a_new_session_never_prints_its_secret() {
        let session = NewSession {
            cookie_value: "abc.SECRET".to_owned(),
            expires_at: Utc::now(),
        };
        assert!(!format!("{session:?}").contains("SECRET"));
    }
}
