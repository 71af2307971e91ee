"""What a run does when something goes wrong: a lost or silent peer, a stop signal, two processes
claiming one rank, and the one line and exit status each ends with."""
