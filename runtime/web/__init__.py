"""What the two web servers (the dashboard and the gateway) share: headers, passwords, sessions."""
