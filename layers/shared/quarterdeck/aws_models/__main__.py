"""`python -m quarterdeck.aws_models`: write the trimmed models from the installed botocore."""

from quarterdeck.aws_models.trim import main

main()
