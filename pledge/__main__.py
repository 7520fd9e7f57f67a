from pledge.cli import main

main()
