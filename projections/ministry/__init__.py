"""The ministry's standard tables (监管数据汇聚标准, 政务服务数据对接标准) as declared data, the standard
conversion from our read models, the `ministry` staging projection (projection.py, staging.py), the
completeness policy (policy.py), the exchange log (exchange_log.py) and the generated
docs/ministry-exchange.md. The exchange that copies staging into the front-end database is
schedulers/exchange.py; its operation is docs/ministry-exchange-operations.md."""
