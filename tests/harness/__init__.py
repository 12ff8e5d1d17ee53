"""What the tests share: the bot under test, its queue consumer, people, jobs, waits and the processes
they start. Test modules import from here (and from tests.fakes), never from one another."""
