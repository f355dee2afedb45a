//! Where a webhook may go. An endpoint is an `https://` URL whose host
//! resolves to public addresses only: loopback, private, link-local and
//! other non-public ranges are refused — at registration and again at every
//! delivery, after DNS resolution, and the connection itself resolves
//! through [`GuardedResolver`] so a name that changes its address between
//! the check and the connection is refused too (a webhook must never reach
//! into the server's own network). `--allow-private-webhooks` lifts the
//! address rule and allows plain `http://` to loopback (local tests).

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::http::Uri;
use hyper_util::client::legacy::connect::dns::Name;

/// Longest accepted endpoint URL.
pub const MAX_URL_LEN: usize = 2000;

/// Why a destination is refused: a stable code and words for the admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub code: &'static str,
    pub message: String,
}

fn refused(code: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        code,
        message: message.into(),
    }
}

/// A parsed endpoint URL.
#[derive(Debug, Clone)]
pub struct Target {
    pub https: bool,
    pub host: String,
    pub port: u16,
}

/// Checks the form of `raw` (no network): absolute http(s) URL with a host
/// and no credentials.
pub fn parse(raw: &str) -> Result<Target, Refused> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(refused("empty", "`url` must not be empty."));
    }
    if raw.len() > MAX_URL_LEN {
        return Err(refused(
            "too_long",
            format!("`url` is longer than {MAX_URL_LEN} characters."),
        ));
    }
    let bad = || {
        refused(
            "invalid_url",
            "`url` must be an absolute URL such as https://crm.example.com/optline-events.",
        )
    };
    let uri: Uri = raw.parse().map_err(|_| bad())?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(bad()),
    };
    let authority = uri.authority().ok_or_else(bad)?;
    if authority.as_str().contains('@') {
        return Err(refused(
            "invalid_url",
            "`url` must not contain a user name or password; authenticate deliveries by their signature.",
        ));
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    if host.is_empty() {
        return Err(bad());
    }
    let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
    Ok(Target { https, host, port })
}

/// Whether `ip` is outside the public internet (loopback, private,
/// link-local, carrier-grade NAT, unspecified, multicast, broadcast,
/// documentation, unique-local).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}

/// The addresses `host` resolves to (an IP literal is its own).
async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, Refused> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| {
            refused(
                "unresolvable_host",
                format!("The host {host} of `url` does not resolve. Check the address."),
            )
        })?
        .collect();
    if addrs.is_empty() {
        return Err(refused(
            "unresolvable_host",
            format!("The host {host} of `url` does not resolve. Check the address."),
        ));
    }
    Ok(addrs)
}

/// The address rule for resolved `addrs`.
fn check_addrs(t: &Target, addrs: &[SocketAddr], allow_private: bool) -> Result<(), Refused> {
    if !allow_private {
        if let Some(a) = addrs.iter().find(|a| is_private(a.ip())) {
            return Err(refused(
                "private_address",
                format!(
                    "{} resolves to {}, a loopback, private or link-local address: webhooks go to public HTTPS endpoints only.",
                    t.host,
                    a.ip()
                ),
            ));
        }
    }
    let plain_http_allowed = allow_private && addrs.iter().all(|a| a.ip().is_loopback());
    if !t.https && !plain_http_allowed {
        return Err(refused(
            "https_required",
            "`url` must start with https:// (deliveries carry consent records).",
        ));
    }
    Ok(())
}

/// The full check of a destination, at registration and before every
/// delivery.
pub async fn check(raw: &str, allow_private: bool) -> Result<Target, Refused> {
    let t = parse(raw)?;
    // The address rule first: "private" is the more useful answer for
    // http://127.0.0.1 than "use https".
    let addrs = match resolve(&t.host, t.port).await {
        Ok(a) => a,
        Err(_) if !t.https && !allow_private => {
            return Err(refused(
                "https_required",
                "`url` must start with https:// (deliveries carry consent records).",
            ))
        }
        Err(e) => return Err(e),
    };
    check_addrs(&t, &addrs, allow_private)?;
    Ok(t)
}

/// A DNS resolver for the delivery client that refuses names resolving to
/// non-public addresses (unless allowed), so the connection goes only where
/// the check allowed.
#[derive(Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl tower::Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow = self.allow_private;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if !allow && addrs.iter().any(|a| is_private(a.ip())) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    "the destination resolves to a non-public address",
                ));
            }
            Ok(addrs.into_iter())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_ranges_are_private() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_parsed_strictly() {
        let t = parse("https://crm.example.com/hooks?x=1").unwrap();
        assert!(t.https);
        assert_eq!((t.host.as_str(), t.port), ("crm.example.com", 443));
        let t = parse("http://[::1]:8080/h").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 8080));
        assert_eq!(parse("ftp://x.example/").unwrap_err().code, "invalid_url");
        assert_eq!(parse("/relative").unwrap_err().code, "invalid_url");
        assert_eq!(parse("").unwrap_err().code, "empty");
        assert_eq!(
            parse("https://u:p@crm.example.com/").unwrap_err().code,
            "invalid_url"
        );
    }

    #[tokio::test]
    async fn private_destinations_are_refused_unless_allowed() {
        assert_eq!(
            check("https://127.0.0.1/h", false).await.unwrap_err().code,
            "private_address"
        );
        assert_eq!(
            check("https://localhost/h", false).await.unwrap_err().code,
            "private_address"
        );
        assert_eq!(
            check("https://[fe80::1]/h", false).await.unwrap_err().code,
            "private_address"
        );
        assert_eq!(
            check("http://127.0.0.1:9/h", false).await.unwrap_err().code,
            "private_address"
        );
        assert_eq!(
            check("http://no-such-host.invalid/h", false)
                .await
                .unwrap_err()
                .code,
            "https_required"
        );
        assert!(check("http://127.0.0.1:9/h", true).await.is_ok());
        // Plain http stays refused beyond loopback even when allowed.
        assert_eq!(
            check("http://10.0.0.1/h", true).await.unwrap_err().code,
            "https_required"
        );
        assert!(check("https://10.0.0.1/h", true).await.is_ok());
    }
}
