module github.com/hookline/hookline

go 1.26
