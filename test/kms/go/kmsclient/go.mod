module kmsclient

go 1.19
