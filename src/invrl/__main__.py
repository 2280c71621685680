from invrl.cli import main

main()
