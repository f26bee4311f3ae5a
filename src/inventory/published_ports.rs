//! The host ports a service's `ports:` publishes, in Compose's short
//! syntax (`"8000:8000"`, `"127.0.0.1:80:80"`, `"9000-9002:9000-9002"`,
//! `"53:53/udp"`, `"[::1]:80:80"`) and long syntax (`published`, `host_ip`,
//! `protocol`). A port without a host side is not published on a fixed
//! port, so it cannot clash.

use serde_yaml_ng::Value;

/// One published host port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Empty for every address.
    pub host_ip: String,
    pub port: u32,
    pub protocol: String,
}

impl Published {
    /// Two services cannot both bind these.
    pub fn clashes(&self, other: &Published) -> bool {
        let any = |ip: &str| ip.is_empty() || ip == "0.0.0.0" || ip == "::" || ip == "[::]";
        self.port == other.port
            && self.protocol == other.protocol
            && (self.host_ip == other.host_ip || any(&self.host_ip) || any(&other.host_ip))
    }
}

/// The ports of one `ports:` entry; `interpolate` puts variables in (or
/// says it cannot: then the entry is skipped).
pub fn published(entry: &Value, interpolate: &dyn Fn(&str) -> Option<String>) -> Vec<Published> {
    match entry {
        Value::String(text) => interpolate(text)
            .map(|text| short_syntax(&text))
            .unwrap_or_default(),
        Value::Mapping(_) => {
            let text = |key: &str| match entry.get(key) {
                Some(Value::String(s)) => interpolate(s),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            let Some(range) = text("published") else {
                return Vec::new();
            };
            let protocol = text("protocol").unwrap_or_else(|| "tcp".into());
            let host_ip = text("host_ip").unwrap_or_default();
            ports(&range)
                .into_iter()
                .map(|port| Published {
                    host_ip: host_ip.clone(),
                    port,
                    protocol: protocol.clone(),
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

fn short_syntax(text: &str) -> Vec<Published> {
    let (spec, protocol) = match text.rsplit_once('/') {
        Some((spec, protocol)) => (spec, protocol.to_string()),
        None => (text, "tcp".to_string()),
    };
    // `[v6]:host:container`, `ip:host:container`, `host:container`.
    let (host_ip, host) = match spec.strip_prefix('[').and_then(|r| r.split_once("]:")) {
        Some((ip, rest)) => match rest.split_once(':') {
            Some((host, _container)) => (ip.to_string(), host),
            None => return Vec::new(),
        },
        None => match spec.split(':').collect::<Vec<_>>()[..] {
            [host, _container] => (String::new(), host),
            [ip, host, _container] => (ip.to_string(), host),
            _ => return Vec::new(),
        },
    };
    ports(host)
        .into_iter()
        .map(|port| Published {
            host_ip: host_ip.clone(),
            port,
            protocol: protocol.clone(),
        })
        .collect()
}

/// `8000` or `9000-9002`; nothing for an empty or bad range (at most 1024
/// ports, so a typo cannot make a huge list).
fn ports(text: &str) -> Vec<u32> {
    let parse = |s: &str| {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|p| (1..=65535).contains(p))
    };
    match text.split_once('-') {
        None => parse(text).into_iter().collect(),
        Some((a, b)) => match (parse(a), parse(b)) {
            (Some(a), Some(b)) if a <= b && b - a < 1024 => (a..=b).collect(),
            _ => Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(text: &str) -> Vec<(String, u32, String)> {
        published(&Value::String(text.into()), &|s| Some(s.to_string()))
            .into_iter()
            .map(|p| (p.host_ip, p.port, p.protocol))
            .collect()
    }

    fn p(ip: &str, port: u32, proto: &str) -> (String, u32, String) {
        (ip.to_string(), port, proto.to_string())
    }

    #[test]
    fn short_syntax_forms() {
        assert_eq!(short("8000:80"), [p("", 8000, "tcp")]);
        assert_eq!(short("127.0.0.1:80:80"), [p("127.0.0.1", 80, "tcp")]);
        assert_eq!(short("53:53/udp"), [p("", 53, "udp")]);
        assert_eq!(
            short("9000-9002:9000-9002"),
            [p("", 9000, "tcp"), p("", 9001, "tcp"), p("", 9002, "tcp")]
        );
        assert_eq!(short("[::1]:80:80"), [p("::1", 80, "tcp")]);
        assert!(short("8080").is_empty());
        assert!(short("127.0.0.1::80").is_empty());
    }

    #[test]
    fn long_syntax_and_clashes() {
        let entry: Value =
            serde_yaml_ng::from_str("{target: 80, published: \"8080\", host_ip: 127.0.0.1}")
                .unwrap();
        let long = published(&entry, &|s| Some(s.to_string()));
        assert_eq!(long.len(), 1);
        assert_eq!(
            (long[0].port, long[0].host_ip.as_str()),
            (8080, "127.0.0.1")
        );
        let any = Published {
            host_ip: String::new(),
            port: 8080,
            protocol: "tcp".into(),
        };
        let other_ip = Published {
            host_ip: "10.0.0.1".into(),
            ..long[0].clone()
        };
        let udp = Published {
            protocol: "udp".into(),
            ..any.clone()
        };
        assert!(long[0].clashes(&any));
        assert!(!long[0].clashes(&other_ip));
        assert!(!any.clashes(&udp));
        let number: Value = serde_yaml_ng::from_str("{target: 80, published: 9000}").unwrap();
        assert_eq!(published(&number, &|s| Some(s.to_string()))[0].port, 9000);
    }
}
