"""The ministry's standard tables (监管数据汇聚标准, 政务服务数据对接标准) as declared data, the standard
conversion from our read models, and the generated docs/ministry-exchange.md."""
