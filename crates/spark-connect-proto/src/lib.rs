//! The Spark Connect protocol: prost messages and the tonic client,
//! generated from Apache Spark 4.3.0's published definitions
//! (`proto/spark/connect`, Apache-2.0, see `proto/NOTICE`) by
//! `generate/` into `src/spark.connect.rs`. Only the client is generated:
//! cpic speaks to a Spark Connect server, it never is one.

pub mod spark {
    pub mod connect {
        #![allow(clippy::all, clippy::pedantic, rustdoc::all)]
        include!("spark.connect.rs");
    }
}
