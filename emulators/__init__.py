"""Local stand-ins for the AWS services the course uses."""
