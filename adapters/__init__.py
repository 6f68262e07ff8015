"""The outside world behind small interfaces: storage details, crypto, brokers, gateways."""
