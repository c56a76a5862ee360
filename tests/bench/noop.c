/* The floor for a whole process: a static binary that does nothing.
 * make bench sets flint's start-up and launch rate against it. */
int main(void)
{
	return 0;
}
