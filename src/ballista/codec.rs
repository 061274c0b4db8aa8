//! The codecs: Ballista's own logical and physical codecs, plus the options of cumulus'
//! specialised window functions and the streaming [`CumulativeWindowAggExec`].
//!
//! Ballista sends plans between client, scheduler and executors as DataFusion protobuf.
//! A window function travels by name unless a codec writes a payload for it, and the
//! registered instance of a name carries SQL's defaults, so without these codecs a call
//! such as `cumsum(x, 'float64')` would be decoded as plain `cumsum` (the scheduler then
//! refuses the plan: the output type no longer matches). Ballista's codecs cannot encode
//! [`CumulativeWindowAggExec`] either. A codec set on a Ballista session *replaces*
//! Ballista's, so these wrap Ballista's codecs and hand them every node that is not ours.
//!
//! Payloads start with a magic prefix (`cumulus.udwf.v1:`, `cumulus.exec.v1:`), so that
//! no other payload is mistaken for ours.

use std::str::FromStr;
use std::sync::Arc;

use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::common::{DataFusionError, Result, TableReference};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{
    AggregateUDF, Extension, HigherOrderUDF, LogicalPlan, ScalarUDF, WindowUDF,
};
use datafusion::physical_expr_common::physical_expr::PhysicalExpr;
use datafusion::physical_expr_common::physical_expr::proto_decode::PhysicalExprDecodeCtx;
use datafusion::physical_expr_common::physical_expr::proto_encode::PhysicalExprEncodeCtx;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::windows::WindowAggExec;
use datafusion::physical_plan::{ChildrenPropertiesMode, ExecutionPlan, ReplaceChildrenOptions};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{
    PhysicalExtensionCodec, PhysicalPlanNodeExt, PhysicalProtoConverterExtension,
};
use datafusion_proto::protobuf::{ArrowType, PhysicalPlanNode};
use prost::Message;

use crate::datafusion::{CumulativeWindow, CumulativeWindowAggExec};
use crate::{Axis, NullPolicy, Operation, Overflow, ScanOptions};

/// Prefix of a window function payload.
const UDWF_MAGIC: &[u8] = b"cumulus.udwf.v1:";
/// Prefix of a [`CumulativeWindowAggExec`] payload.
const EXEC_MAGIC: &[u8] = b"cumulus.exec.v1:";

/// New children have other properties than the old (a placeholder in place of the input).
const RECOMPUTE: ReplaceChildrenOptions =
    ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute);

/// A specialised window function: the operation and its [`ScanOptions`].
#[derive(Clone, PartialEq, prost::Message)]
struct UdwfNode {
    #[prost(string, tag = "1")]
    op: String,
    #[prost(message, optional, tag = "2")]
    dtype: Option<ArrowType>,
    #[prost(string, tag = "3")]
    nulls: String,
    #[prost(string, tag = "4")]
    overflow: String,
    #[prost(string, tag = "5")]
    axis: String,
    #[prost(bool, tag = "6")]
    reverse: bool,
}

fn codec_error(message: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Internal(format!("cumulus codec: {message}"))
}

/// Writes the options of a cumulus window function and answers `true`; writes nothing
/// for any other window function.
fn encode_udwf(node: &WindowUDF, buf: &mut Vec<u8>) -> Result<bool> {
    let Some(window) = node.inner().downcast_ref::<CumulativeWindow>() else {
        return Ok(false);
    };
    let options = window.options();
    let message = UdwfNode {
        op: window.operation().name().to_string(),
        dtype: options
            .dtype
            .as_ref()
            .map(ArrowType::try_from)
            .transpose()
            .map_err(codec_error)?,
        nulls: options.nulls.name().to_string(),
        overflow: options.overflow.name().to_string(),
        axis: options.axis.to_string(),
        reverse: options.reverse,
    };
    buf.extend_from_slice(UDWF_MAGIC);
    message.encode(buf).map_err(codec_error)?;
    Ok(true)
}

/// The window function [`encode_udwf`] wrote, or `None` when `buf` is not such a payload.
fn decode_udwf(name: &str, buf: &[u8]) -> Result<Option<Arc<WindowUDF>>> {
    let Some(body) = buf.strip_prefix(UDWF_MAGIC) else {
        return Ok(None);
    };
    let message = UdwfNode::decode(body).map_err(codec_error)?;
    let op = Operation::from_str(&message.op).map_err(codec_error)?;
    if op.name() != name {
        return Err(codec_error(format!(
            "a payload for {} under the name {name}",
            message.op
        )));
    }
    let options = ScanOptions {
        dtype: message
            .dtype
            .as_ref()
            .map(DataType::try_from)
            .transpose()
            .map_err(codec_error)?,
        nulls: NullPolicy::from_str(&message.nulls).map_err(codec_error)?,
        overflow: Overflow::from_str(&message.overflow).map_err(codec_error)?,
        axis: Axis::from_str(&message.axis).map_err(codec_error)?,
        reverse: message.reverse,
    };
    Ok(Some(Arc::new(WindowUDF::from(CumulativeWindow::new(
        op, options,
    )))))
}

/// Ballista's logical codec ([`BallistaLogicalExtensionCodec`]) plus the options of
/// cumulus' window functions. Every other node, table, file format and function goes to
/// the wrapped codec.
///
/// [`super::session_config`] installs it; set it yourself with
/// `SessionConfigExt::with_ballista_logical_extension_codec`, and give it to a scheduler
/// as `SchedulerConfig::override_logical_codec` ([`super::scheduler_config`] does).
///
/// ```
/// use cumulus::ballista::CumulusLogicalCodec;
/// use cumulus::Operation;
/// use cumulus::datafusion::CumulativeWindow;
/// use datafusion::logical_expr::WindowUDF;
/// use datafusion_proto::logical_plan::LogicalExtensionCodec;
///
/// let codec = CumulusLogicalCodec::default();
/// let options = cumulus::datafusion::sql_defaults().with_dtype(datafusion::arrow::datatypes::DataType::Float64);
/// let udwf = WindowUDF::from(CumulativeWindow::new(Operation::Cumsum, options.clone()));
/// let mut buf = Vec::new();
/// codec.try_encode_udwf(&udwf, &mut buf)?;
/// let back = codec.try_decode_udwf("cumsum", &buf)?;
/// let back = back.inner().downcast_ref::<CumulativeWindow>().unwrap();
/// assert_eq!(back.options(), &options);
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// ```
#[derive(Debug)]
pub struct CumulusLogicalCodec {
    inner: Arc<dyn LogicalExtensionCodec>,
}

impl CumulusLogicalCodec {
    /// Wraps `inner` instead of Ballista's default logical codec (for a deployment that
    /// has a codec of its own).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ballista_core::serde::BallistaLogicalExtensionCodec;
    /// let codec = cumulus::ballista::CumulusLogicalCodec::new(Arc::new(BallistaLogicalExtensionCodec::default()));
    /// # let _ = codec;
    /// ```
    pub fn new(inner: Arc<dyn LogicalExtensionCodec>) -> Self {
        CumulusLogicalCodec { inner }
    }
}

impl Default for CumulusLogicalCodec {
    fn default() -> Self {
        Self::new(Arc::new(BallistaLogicalExtensionCodec::default()))
    }
}

impl LogicalExtensionCodec for CumulusLogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        self.inner
            .try_decode_table_provider(buf, table_ref, schema, ctx)
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_table_provider(table_ref, node, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        self.inner.try_decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udf(node, buf)
    }

    fn try_decode_higher_order_function(
        &self,
        name: &str,
        buf: &[u8],
    ) -> Result<Arc<HigherOrderUDF>> {
        self.inner.try_decode_higher_order_function(name, buf)
    }

    fn try_encode_higher_order_function(
        &self,
        node: &HigherOrderUDF,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_higher_order_function(node, buf)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        self.inner.try_decode_udaf(name, buf)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udaf(node, buf)
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        match decode_udwf(name, buf)? {
            Some(udwf) => Ok(udwf),
            None => self.inner.try_decode_udwf(name, buf),
        }
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        if encode_udwf(node, buf)? {
            return Ok(());
        }
        self.inner.try_encode_udwf(node, buf)
    }
}

/// Ballista's physical codec ([`BallistaPhysicalExtensionCodec`]) plus the options of
/// cumulus' window functions and the streaming [`CumulativeWindowAggExec`]. Every other
/// plan, expression and function goes to the wrapped codec.
///
/// [`super::session_config`] installs it; set it yourself with
/// `SessionConfigExt::with_ballista_physical_extension_codec`, and give it to schedulers
/// and executors (`override_physical_codec`; [`super::scheduler_config`] and
/// [`super::executor_config`] do).
///
/// The operator travels as the `WindowAggExec` it replaced (its window expressions, over
/// a placeholder input) and is rebuilt with [`CumulativeWindowAggExec::try_new`] on the
/// receiving side; should the decoded input not allow streaming any more, the decoded
/// `WindowAggExec` runs instead, with the same results.
///
/// ```
/// use std::sync::Arc;
/// use cumulus::ballista::CumulusPhysicalCodec;
/// use datafusion::physical_plan::{ChildrenPropertiesMode, ExecutionPlan, ReplaceChildrenOptions};
/// use datafusion::prelude::SessionContext;
/// use datafusion_proto::physical_plan::AsExecutionPlan;
/// use datafusion_proto::protobuf::PhysicalPlanNode;
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let ctx = SessionContext::new();
/// cumulus::datafusion::register(&ctx)?;
/// let plan = ctx
///     .sql("SELECT cumsum(x, 'float64') OVER (ORDER BY x) AS s FROM (VALUES (1), (2)) AS v(x)")
///     .await?
///     .create_physical_plan()
///     .await?;
/// let codec = CumulusPhysicalCodec::default();
/// let proto = PhysicalPlanNode::try_from_physical_plan(Arc::clone(&plan), &codec)?;
/// let back = proto.try_into_physical_plan(&ctx.task_ctx(), &codec)?;
/// let text = datafusion::physical_plan::displayable(back.as_ref()).indent(false).to_string();
/// assert!(text.contains("CumulativeWindowAggExec"), "{text}");
/// assert_eq!(back.schema(), plan.schema());
/// # Ok::<(), datafusion::error::DataFusionError>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct CumulusPhysicalCodec {
    inner: Arc<dyn PhysicalExtensionCodec>,
}

impl CumulusPhysicalCodec {
    /// Wraps `inner` instead of Ballista's default physical codec (for a deployment that
    /// has a codec of its own).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ballista_core::serde::BallistaPhysicalExtensionCodec;
    /// let codec = cumulus::ballista::CumulusPhysicalCodec::new(Arc::new(BallistaPhysicalExtensionCodec::default()));
    /// # let _ = codec;
    /// ```
    pub fn new(inner: Arc<dyn PhysicalExtensionCodec>) -> Self {
        CumulusPhysicalCodec { inner }
    }
}

impl Default for CumulusPhysicalCodec {
    fn default() -> Self {
        Self::new(Arc::new(BallistaPhysicalExtensionCodec::default()))
    }
}

impl PhysicalExtensionCodec for CumulusPhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(body) = buf.strip_prefix(EXEC_MAGIC) else {
            return self.inner.try_decode(buf, inputs, ctx, proto_converter);
        };
        let [input] = inputs else {
            return Err(codec_error(format!(
                "CumulativeWindowAggExec with {} inputs",
                inputs.len()
            )));
        };
        // The payload is the WindowAggExec over a placeholder input, decoded with `self`
        // so that its window functions come back specialised.
        let node = PhysicalPlanNode::decode(body).map_err(codec_error)?;
        let shell = node.try_into_physical_plan_with_converter(ctx, self, proto_converter)?;
        let Some(shell) = shell.downcast_ref::<WindowAggExec>() else {
            return Err(codec_error(format!(
                "expected a WindowAggExec in a CumulativeWindowAggExec payload, decoded {}",
                shell.name()
            )));
        };
        let window =
            Arc::new(shell.clone()).replace_children(vec![Arc::clone(input)], RECOMPUTE)?;
        let Some(window) = window.downcast_ref::<WindowAggExec>() else {
            return Err(codec_error(format!(
                "WindowAggExec::replace_children returned {}",
                window.name()
            )));
        };
        let window = Arc::new(window.clone());
        match CumulativeWindowAggExec::try_new(Arc::clone(&window))? {
            Some(exec) => Ok(Arc::new(exec)),
            None => {
                log::warn!(
                    "cumulus codec: the decoded input does not allow streaming; running WindowAggExec"
                );
                Ok(window)
            }
        }
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        let Some(exec) = node.downcast_ref::<CumulativeWindowAggExec>() else {
            return self.inner.try_encode(node, buf, proto_converter);
        };
        // The framework writes the child itself; the payload holds the window
        // expressions, as a WindowAggExec over an EmptyExec with the input's schema.
        let window = exec.window_agg();
        let placeholder: Arc<dyn ExecutionPlan> = Arc::new(EmptyExec::new(window.input().schema()));
        let shell = Arc::clone(window).replace_children(vec![placeholder], RECOMPUTE)?;
        let proto =
            PhysicalPlanNode::try_from_physical_plan_with_converter(shell, self, proto_converter)?;
        buf.extend_from_slice(EXEC_MAGIC);
        proto.encode(buf).map_err(codec_error)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        self.inner.try_decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udf(node, buf)
    }

    fn try_decode_higher_order_function(
        &self,
        name: &str,
        buf: &[u8],
    ) -> Result<Arc<HigherOrderUDF>> {
        self.inner.try_decode_higher_order_function(name, buf)
    }

    fn try_encode_higher_order_function(
        &self,
        node: &HigherOrderUDF,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_higher_order_function(node, buf)
    }

    fn try_decode_expr(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn PhysicalExpr>],
        ctx: &PhysicalExprDecodeCtx<'_>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        self.inner.try_decode_expr(buf, inputs, ctx)
    }

    fn try_encode_expr(
        &self,
        node: &Arc<dyn PhysicalExpr>,
        buf: &mut Vec<u8>,
        ctx: &PhysicalExprEncodeCtx<'_>,
    ) -> Result<()> {
        self.inner.try_encode_expr(node, buf, ctx)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        self.inner.try_decode_udaf(name, buf)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udaf(node, buf)
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        match decode_udwf(name, buf)? {
            Some(udwf) => Ok(udwf),
            None => self.inner.try_decode_udwf(name, buf),
        }
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        if encode_udwf(node, buf)? {
            return Ok(());
        }
        self.inner.try_encode_udwf(node, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_round_trips() {
        let dtypes = [
            None,
            Some(DataType::Float64),
            Some(DataType::Int8),
            Some(DataType::Decimal128(20, 3)),
            Some(DataType::Duration(
                datafusion::arrow::datatypes::TimeUnit::Nanosecond,
            )),
        ];
        for op in Operation::ALL {
            for nulls in NullPolicy::ALL {
                for overflow in Overflow::ALL {
                    for (i, dtype) in dtypes.iter().enumerate() {
                        let options = ScanOptions {
                            dtype: dtype.clone(),
                            nulls,
                            overflow,
                            axis: [Axis::Flatten, Axis::Index(0), Axis::Index(-1)][i % 3],
                            reverse: i % 2 == 1,
                        };
                        let udwf = WindowUDF::from(CumulativeWindow::new(op, options.clone()));
                        let mut buf = Vec::new();
                        assert!(encode_udwf(&udwf, &mut buf).unwrap());
                        let back = decode_udwf(op.name(), &buf).unwrap().unwrap();
                        let back = back.inner().downcast_ref::<CumulativeWindow>().unwrap();
                        assert_eq!((back.operation(), back.options()), (op, &options));
                    }
                }
            }
        }
    }

    #[test]
    fn foreign_payloads_are_not_ours() {
        assert!(decode_udwf("cumsum", b"").unwrap().is_none());
        assert!(decode_udwf("cumsum", b"\x0a\x06cumsum").unwrap().is_none());
        let mut buf = UDWF_MAGIC.to_vec();
        buf.extend_from_slice(b"\xff\xff\xff");
        assert!(decode_udwf("cumsum", &buf).is_err());
        let udwf = crate::datafusion::udwf(Operation::Cummax);
        let mut buf = Vec::new();
        encode_udwf(&udwf, &mut buf).unwrap();
        let err = decode_udwf("cumsum", &buf).unwrap_err().to_string();
        assert!(
            err.contains("a payload for cummax under the name cumsum"),
            "{err}"
        );
        let plain = WindowUDF::from(datafusion::functions_window::row_number::RowNumber::new());
        let mut buf = Vec::new();
        assert!(!encode_udwf(&plain, &mut buf).unwrap());
        assert!(buf.is_empty());
    }
}
