//! The Asterisk servers one hotline drives, by name.
//!
//! A region may run several Asterisk nodes; each call is handled on the node it
//! arrived on (its own event socket, REST client and Stasis app), and the journal
//! names the node (`call_record.asterisk_node`), so what stays on a node afterwards
//! (a call's recording) is asked of that node.

use super::AriClient;

/// The nodes, in the order of the settings; the first is the default (calls that
/// name no node: journaled before nodes were named, or through FastAGI).
#[derive(Clone, Debug)]
pub struct AsteriskNodes {
    nodes: Vec<(String, AriClient)>,
}

impl AsteriskNodes {
    /// The nodes by name; at least one.
    pub fn new(nodes: Vec<(String, AriClient)>) -> Self {
        assert!(!nodes.is_empty(), "hotline drives at least one Asterisk");
        Self { nodes }
    }

    /// One node (tests, single-server installations).
    pub fn single(name: &str, client: AriClient) -> Self {
        Self::new(vec![(name.to_owned(), client)])
    }

    /// The node called `name`, or the first one if there is no such node or no name.
    pub fn get(&self, name: Option<&str>) -> &AriClient {
        name.and_then(|name| self.nodes.iter().find(|(n, _)| n == name))
            .map_or(&self.nodes[0].1, |(_, client)| client)
    }

    /// Every node with its name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AriClient)> {
        self.nodes
            .iter()
            .map(|(name, client)| (name.as_str(), client))
    }

    /// Whether every node's event socket is connected (readiness).
    pub fn all_connected(&self) -> bool {
        self.nodes
            .iter()
            .all(|(_, client)| client.event_socket().is_connected())
    }
}
