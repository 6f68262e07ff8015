"""The front-end database (数据接入前置机) the ministry reads: its tables, folders and FTP drop."""
