module github.com/graphprofile/graphprofile

go 1.26

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/mattn/go-sqlite3 v1.14.53
)
