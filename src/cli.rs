//! The command line.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sagediag",
    version,
    about = "Set up and diagnose the Salesforce OAuth connection of a Sage People integration",
    long_about = "Set up and diagnose the Salesforce OAuth connection of a Sage People integration.\n\n\
sagediag ships a simulated Salesforce + Sage People org (`sagediag sim`) that answers as \
Salesforce does, with scenarios reproducing each set-up pitfall.",
    after_help = "Examples:\n  sagediag sim                          start the healthy simulated org on a free port\n  sagediag sim --scenario pkce-required  reproduce \"missing required code challenge\"\n  sagediag sim --list                   list the shipped scenarios"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the simulated Salesforce + Sage People org.
    Sim(SimArgs),
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  sagediag sim --scenario healthy --port 8443\n  sagediag sim --scenario ./my-org.toml\n  sagediag sim --list\n\n\
Once it accepts connections it prints one JSON line on stdout (login_url, instance_url, \
client_id, client_secret, username, password, callback_url, scenario), then logs each request \
on stderr until Ctrl-C or SIGTERM. 127.0.0.1 plays the login host, localhost the org's My Domain."
)]
pub struct SimArgs {
    /// Port to listen on (0: a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Address to listen on; anything but loopback exposes the org to the network.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// A shipped scenario's name or the path of a scenario TOML file.
    #[arg(long, default_value = "healthy")]
    pub scenario: String,
    /// List the shipped scenarios and exit.
    #[arg(long)]
    pub list: bool,
}

impl SimArgs {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }
}
