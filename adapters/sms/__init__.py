"""SMS gateways (短信平台接口) behind one Protocol: console (default), file and HTTP."""
