terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
  }

  # Remote state: uncomment and fill in before the first `terraform init` of a shared
  # environment (the state bucket is created outside this configuration).
  # backend "s3" {
  #   bucket       = "my-terraform-state-bucket"
  #   key          = "ork-processor/prod/terraform.tfstate"
  #   region       = "us-east-1"
  #   encrypt      = true
  #   use_lockfile = true
  # }
}
