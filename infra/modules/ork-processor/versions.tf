terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.x: aws_lambda_function_recursion_config (recursive loop detection) and
      # data.aws_region's `region` attribute. Arguments checked against the 6.69.1 schema.
      version = ">= 6.0, < 7.0"
    }
  }
}
