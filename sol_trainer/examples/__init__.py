"The examples `sol_trainer examples` copies out (package data: run them from a copy, not from here)."
