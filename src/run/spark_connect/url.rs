//! Spark Connect's connection string, as its clients read it:
//! `sc://HOST[:PORT][/][;NAME=VALUE]...` (port 15002 by default). The
//! parameters Spark defines are `token` (a bearer token: a secret, shown
//! as `***`), `user_id`, `user_agent`, `session_id`, `use_ssl` and the
//! `grpc_keepalive_*` settings (PySpark's defaults: a ping after 60 s
//! without traffic, answered within 20 s, also between calls); any other
//! parameter is sent to the server as a gRPC header, as PySpark does.
//! cpic adds two of its own, read here and not sent: `connect_timeout`
//! and `query_timeout`, in seconds.

use std::time::Duration;

/// The port a Spark Connect server listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 15002;
/// How long cpic waits for the server to answer the first call.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one query may take before cpic interrupts it.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(3600);

const TOKEN: &str = "token";
const USER_ID: &str = "user_id";
const USER_AGENT: &str = "user_agent";
const SESSION_ID: &str = "session_id";
const USE_SSL: &str = "use_ssl";
const CONNECT_TIMEOUT: &str = "connect_timeout";
const QUERY_TIMEOUT: &str = "query_timeout";
const KEEPALIVE_ENABLED: &str = "grpc_keepalive_enabled";
const KEEPALIVE_TIME: &str = "grpc_keepalive_time_ms";
const KEEPALIVE_TIMEOUT: &str = "grpc_keepalive_timeout_ms";
const KEEPALIVE_WITHOUT_CALLS: &str = "grpc_keepalive_without_calls";

/// HTTP/2 pings that find a silently dead connection. A server refuses
/// pings more frequent than it allows (gRPC servers answer with
/// `too_many_pings` and close the connection), hence PySpark's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keepalive {
    pub interval: Duration,
    pub timeout: Duration,
    pub while_idle: bool,
}

impl Default for Keepalive {
    fn default() -> Keepalive {
        Keepalive {
            interval: Duration::from_secs(60),
            timeout: Duration::from_secs(20),
            while_idle: true,
        }
    }
}

/// A parsed `sc://` URL.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectUrl {
    pub host: String,
    pub port: u16,
    pub token: Option<String>,
    pub user_id: Option<String>,
    pub user_agent: Option<String>,
    pub session_id: Option<String>,
    pub use_ssl: bool,
    pub connect_timeout: Duration,
    pub query_timeout: Duration,
    /// None with `grpc_keepalive_enabled=false`.
    pub keepalive: Option<Keepalive>,
    /// Other parameters, sent as gRPC headers.
    pub headers: Vec<(String, String)>,
    /// The parameters as written (values not decoded), for `display`.
    written: Vec<(String, String)>,
}

/// Never prints the token.
impl std::fmt::Debug for ConnectUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

impl ConnectUrl {
    pub fn parse(url: &str) -> Result<ConnectUrl, String> {
        let rest = url
            .strip_prefix("sc://")
            .ok_or_else(|| format!("`{}` does not start with sc://", mask_token(url)))?;
        let bad = |why: &str| format!("bad Spark Connect URL `{}`: {why}", mask_token(url));
        // `sc://host:port/;a=b` is the documented form; `sc://host:port;a=b`
        // is read the same way.
        let (address, parameters) = match rest.split_once(';') {
            Some((address, parameters)) => (address, Some(parameters)),
            None => (rest, None),
        };
        let address = address.strip_suffix('/').unwrap_or(address);
        if address.contains(['/', '?', '#', '@']) {
            return Err(bad("the URL takes a host and a port only (sc://HOST:PORT)"));
        }
        let (host, port) = split_host_port(address).map_err(|why| bad(&why))?;
        let mut parsed = ConnectUrl {
            host,
            port,
            token: None,
            user_id: None,
            user_agent: None,
            session_id: None,
            use_ssl: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            query_timeout: DEFAULT_QUERY_TIMEOUT,
            keepalive: Some(Keepalive::default()),
            headers: Vec::new(),
            written: Vec::new(),
        };
        for parameter in parameters.into_iter().flat_map(|p| p.split(';')) {
            if parameter.is_empty() {
                continue;
            }
            let Some((name, written)) = parameter.split_once('=') else {
                return Err(bad(&format!(
                    "parameter `{}` is not NAME=VALUE",
                    if parameter == TOKEN {
                        "token"
                    } else {
                        parameter
                    }
                )));
            };
            parsed.written.push((name.to_string(), written.to_string()));
            let value = percent_decode(written).map_err(|why| bad(&why))?;
            match name {
                TOKEN => parsed.token = Some(value),
                USER_ID => parsed.user_id = Some(value),
                USER_AGENT => parsed.user_agent = Some(value),
                SESSION_ID => {
                    uuid::Uuid::parse_str(&value)
                        .map_err(|_| bad(&format!("session_id `{value}` is not a UUID")))?;
                    parsed.session_id = Some(value)
                }
                USE_SSL => parsed.use_ssl = value.eq_ignore_ascii_case("true"),
                CONNECT_TIMEOUT => {
                    parsed.connect_timeout = seconds(name, &value).map_err(|w| bad(&w))?
                }
                QUERY_TIMEOUT => {
                    parsed.query_timeout = seconds(name, &value).map_err(|w| bad(&w))?
                }
                KEEPALIVE_ENABLED => {
                    if !value.eq_ignore_ascii_case("true") {
                        parsed.keepalive = None;
                    }
                }
                KEEPALIVE_TIME | KEEPALIVE_TIMEOUT | KEEPALIVE_WITHOUT_CALLS => {
                    if let Some(keepalive) = &mut parsed.keepalive {
                        let milliseconds = || {
                            value
                                .parse::<u64>()
                                .ok()
                                .filter(|&ms| ms > 0)
                                .map(Duration::from_millis)
                                .ok_or_else(|| {
                                    bad(&format!(
                                        "{name} `{value}` is not a positive number of milliseconds"
                                    ))
                                })
                        };
                        match name {
                            KEEPALIVE_TIME => keepalive.interval = milliseconds()?,
                            KEEPALIVE_TIMEOUT => keepalive.timeout = milliseconds()?,
                            _ => keepalive.while_idle = value.eq_ignore_ascii_case("true"),
                        }
                    }
                }
                _ => parsed.headers.push((name.to_ascii_lowercase(), value)),
            }
        }
        Ok(parsed)
    }

    /// Whether the channel is encrypted: with `use_ssl=true`, and with a
    /// token unless the server is on this machine (PySpark's rule, which
    /// sends a token to `localhost` in the clear).
    pub fn tls(&self) -> bool {
        self.use_ssl || (self.token.is_some() && !self.is_loopback())
    }

    fn is_loopback(&self) -> bool {
        matches!(self.host.as_str(), "localhost" | "127.0.0.1" | "::1")
    }

    /// `host:port`, an IPv6 host in brackets.
    pub fn authority(&self) -> String {
        match self.host.contains(':') {
            true => format!("[{}]:{}", self.host, self.port),
            false => format!("{}:{}", self.host, self.port),
        }
    }

    /// The URL as shown to people: the token is `***`.
    pub fn display(&self) -> String {
        let mut shown = format!("sc://{}", self.authority());
        if !self.written.is_empty() {
            shown.push('/');
            for (name, value) in &self.written {
                let value = if name == TOKEN { "***" } else { value };
                shown.push_str(&format!(";{name}={value}"));
            }
        }
        shown
    }
}

/// `token=...` masked in a URL that may not parse.
pub fn mask_token(url: &str) -> String {
    url.split(';')
        .map(|part| match part.split_once('=') {
            Some((TOKEN, _)) => format!("{TOKEN}=***"),
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(address: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or("an IPv6 address is written [ADDRESS]")?;
        (host, after.strip_prefix(':'))
    } else {
        match address.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (address, None),
        }
    };
    if host.is_empty() {
        return Err("no host".to_string());
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| format!("`{port}` is not a port"))?,
    };
    Ok((host.to_string(), port))
}

fn seconds(name: &str, value: &str) -> Result<Duration, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{name} `{value}` is not a positive number of seconds"))
}

/// `%XX` escapes decoded (Python's `urllib.parse.unquote`, which PySpark
/// applies to every value; a `%` without two hex digits stays as it is).
fn percent_decode(value: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| "a parameter is not UTF-8 once decoded".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_forms() {
        let url = ConnectUrl::parse("sc://localhost").expect("a URL");
        assert_eq!((url.host.as_str(), url.port), ("localhost", DEFAULT_PORT));
        assert!(!url.tls());
        assert_eq!(url.display(), "sc://localhost:15002");
        let url = ConnectUrl::parse(
            "sc://spark.example:443/;token=s3cr%3Bet;user_id=ana;use_ssl=true;x-databricks-cluster-id=0123",
        )
        .expect("a URL");
        assert_eq!(url.port, 443);
        assert_eq!(url.token.as_deref(), Some("s3cr;et"));
        assert_eq!(url.user_id.as_deref(), Some("ana"));
        assert!(url.use_ssl && url.tls());
        assert_eq!(
            url.headers,
            vec![("x-databricks-cluster-id".to_string(), "0123".to_string())]
        );
        let shown = url.display();
        assert_eq!(
            shown,
            "sc://spark.example:443/;token=***;user_id=ana;use_ssl=true;x-databricks-cluster-id=0123"
        );
        assert!(!format!("{url:?}").contains("s3cr"));
        // Without the slash, and an IPv6 host.
        let url = ConnectUrl::parse("sc://[::1]:15003;token=t;query_timeout=2.5").expect("a URL");
        assert_eq!((url.host.as_str(), url.port), ("::1", 15003));
        assert_eq!(url.query_timeout, Duration::from_millis(2500));
        // A token to this machine goes in the clear, as with PySpark; to
        // another machine, encrypted.
        assert!(!url.tls());
        assert!(ConnectUrl::parse("sc://db.example;token=t")
            .expect("a URL")
            .tls());
        // Keepalive as PySpark reads it.
        assert_eq!(url.keepalive, Some(Keepalive::default()));
        let url = ConnectUrl::parse(
            "sc://h/;grpc_keepalive_time_ms=120000;grpc_keepalive_without_calls=false",
        )
        .expect("a URL");
        assert_eq!(
            url.keepalive,
            Some(Keepalive {
                interval: Duration::from_secs(120),
                timeout: Duration::from_secs(20),
                while_idle: false
            })
        );
        assert!(url.headers.is_empty());
        let url = ConnectUrl::parse("sc://h/;grpc_keepalive_enabled=false").expect("a URL");
        assert_eq!(url.keepalive, None);
    }

    #[test]
    fn values_are_percent_decoded_as_python_unquotes_them() {
        assert_eq!(percent_decode("a%3Bb%3db").as_deref(), Ok("a;b=b"));
        assert_eq!(percent_decode("%E2%82%AC").as_deref(), Ok("€"));
        // A `%` without two hex digits stays.
        assert_eq!(percent_decode("100%").as_deref(), Ok("100%"));
        assert_eq!(percent_decode("%zz%4").as_deref(), Ok("%zz%4"));
        assert_eq!(percent_decode("%é").as_deref(), Ok("%é"));
        assert!(percent_decode("%FF").is_err());
    }

    #[test]
    fn mistakes_are_explained_without_the_token() {
        for (url, says) in [
            ("sc://", "no host"),
            ("sc://h:port", "`port` is not a port"),
            ("sc://h:0", "is not a port"),
            ("sc://h/db", "a host and a port only"),
            ("sc://u:p@h", "a host and a port only"),
            ("sc://h/;token", "is not NAME=VALUE"),
            ("sc://h/;token=abc;session_id=x", "is not a UUID"),
            ("sc://h/;token=abc;query_timeout=0", "not a positive number"),
            (
                "sc://h/;token=abc;grpc_keepalive_time_ms=soon",
                "not a positive number",
            ),
        ] {
            let error = ConnectUrl::parse(url).expect_err(url);
            assert!(error.contains(says), "{url}: {error}");
            assert!(!error.contains("abc"), "{url}: {error}");
        }
    }
}
