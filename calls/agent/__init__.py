"""The shop's receptionist: the tools (one registry), the prompt and greeting, which engines a
call uses, the object that runs one call from start to finish, and the scripted receptionist."""
